"""The retention purge: conversations and citizens' addresses do not outlive their use.

When a crisis closes, a job is scheduled CRISIS_RETENTION_DAYS later; it deletes every
conversation closed before that cutoff with its messages, the address of every citizen
left without a conversation, and the copies of citizens' words the knowledge base keeps
(unanswered questions, pending phrasings learnt from replies: KnowledgeBase.purge_citizen_text).
Opt-outs (STOP) are kept: they hold only the keyed hash.

A legal hold (`crisis retention hold REASON`, for an inquiry) suspends the purge: a purge due
while it is set deletes nothing and comes back a day later, until the hold is released.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from channels.store import drop_conversation
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput
from crisis.events import EventBus
from crisis.jobs import Jobs
from crisis.keys import Keys
from crisis.redis_client import async_redis, sync_redis
from crisis.types import Principal, utcnow
from crisis.worker import worker_settings
from knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
BATCH = 500
HELD_RETRY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class PurgeReport:
    conversations: int
    citizens: int
    unanswered_questions: int = 0
    learnt_phrasings: int = 0


async def purge_closed(redis: aioredis.Redis, keys: ChannelKeys, before: dt.datetime) -> PurgeReport:
    """Delete conversations closed before `before` and the addresses no longer needed."""
    closed = keys.by_status("closed")
    conversations = citizens = 0
    while True:
        ids = [str(i) for i in await redis.zrangebyscore(closed, "-inf", before.timestamp(),
                                                         start=0, num=BATCH)]
        if not ids:
            return PurgeReport(conversations, citizens)
        for conversation_id in ids:
            citizen = await redis.hget(keys.conversation(conversation_id), "citizen")
            async with redis.pipeline(transaction=True) as pipe:
                drop_conversation(pipe, keys, conversation_id)
                if citizen:
                    pipe.srem(keys.citizen_conversations(str(citizen)), conversation_id)
                await pipe.execute()
            conversations += 1
            if citizen and not await redis.scard(keys.citizen_conversations(str(citizen))):
                await redis.delete(keys.citizen(str(citizen)))
                citizens += 1


async def purge(redis: aioredis.Redis, keys: Keys, kb: KnowledgeBase,
                before: dt.datetime) -> PurgeReport:
    """Everything the retention covers: conversations, addresses, and citizens' words in the
    knowledge base, with one cutoff."""
    report = await purge_closed(redis, ChannelKeys(keys), before)
    words = await kb.purge_citizen_text(before)
    return dataclasses.replace(report, unanswered_questions=words.unanswered,
                               learnt_phrasings=words.learnt_phrasings)


async def set_hold(redis: aioredis.Redis, keys: ChannelKeys, actor: Principal,
                   reason: str) -> None:
    """Suspend the retention purge until `release_hold` (audited)."""
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise InvalidInput("say why the data must be kept (the inquiry, its reference)")
    hold = {"by": actor.label(), "at": utcnow().isoformat(), "reason": reason}
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.legal_hold, json.dumps(hold, ensure_ascii=False))
        add_audit(pipe, keys.keys, audit_entry(actor, "retention.hold", "retention",
                                               after=reason))
        await pipe.execute()


async def release_hold(redis: aioredis.Redis, keys: ChannelKeys, actor: Principal) -> bool:
    """Let the purge run again; False when there was no hold."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.legal_hold)
        add_audit(pipe, keys.keys, audit_entry(actor, "retention.release", "retention"))
        deleted, _ = await pipe.execute()
    return bool(deleted)


async def hold_of(redis: aioredis.Redis, keys: ChannelKeys) -> dict[str, str] | None:
    raw = await redis.get(keys.legal_hold)
    return None if raw is None else dict(json.loads(raw))


async def purge_job(retention_days: int) -> dict[str, int]:
    """RQ job scheduled at a crisis's closing; under a legal hold it deletes nothing and
    schedules itself again a day later."""
    settings, url = worker_settings()
    client = async_redis(url)
    keys = Keys(settings.redis_prefix)
    try:
        if await hold_of(client, ChannelKeys(keys)) is not None:
            connection = sync_redis(url, decode=False)
            try:
                Jobs(connection, keys).enqueue_in(HELD_RETRY, "channels.retention.purge_job",
                                                  retention_days)
            finally:
                connection.close()
            log.info("retention purge held: an inquiry keeps the data; tried again in a day")
            return {"held": 1}
        # A job runs without the app: its knowledge base is built on the job's connection.
        kb = KnowledgeBase(client, keys, EventBus(client, keys))
        report = await purge(client, keys, kb, utcnow() - dt.timedelta(days=retention_days))
    finally:
        await client.aclose()
    log.info("retention purge", extra=dataclasses.asdict(report))
    return dataclasses.asdict(report)
