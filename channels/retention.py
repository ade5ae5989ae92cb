"""The retention purge: conversations and citizens' addresses do not outlive their use.

When a crisis closes, a job is scheduled CRISIS_RETENTION_DAYS later; it deletes every
conversation closed before that cutoff with its messages, the address of every citizen
left without a conversation, and the copies of citizens' words the knowledge base keeps
(unanswered questions, pending phrasings learnt from replies: knowledge_base/retention.py).
Opt-outs (STOP) are kept: they hold only the keyed hash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.worker import worker_settings
from crisis.keys import Keys
from crisis.redis_client import async_redis
from crisis.types import utcnow
from knowledge_base.retention import purge_citizen_text

log = logging.getLogger(__name__)
BATCH = 500


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
                pipe.delete(keys.conversation(conversation_id), keys.messages(conversation_id),
                            keys.transitions(conversation_id), keys.outbound_index(conversation_id))
                pipe.zrem(closed, conversation_id)
                pipe.zrem(keys.conversations, conversation_id)
                if citizen:
                    pipe.srem(keys.citizen_conversations(str(citizen)), conversation_id)
                await pipe.execute()
            conversations += 1
            if citizen and not await redis.scard(keys.citizen_conversations(str(citizen))):
                await redis.delete(keys.citizen(str(citizen)))
                citizens += 1


async def purge(redis: aioredis.Redis, keys: Keys, before: dt.datetime) -> PurgeReport:
    """Everything the retention covers: conversations, addresses, and citizens' words in the
    knowledge base, with one cutoff."""
    report = await purge_closed(redis, ChannelKeys(keys), before)
    words = await purge_citizen_text(redis, keys, before)
    return dataclasses.replace(report, unanswered_questions=words.unanswered,
                               learnt_phrasings=words.learnt_phrasings)


async def purge_job(retention_days: int) -> dict[str, int]:
    """RQ job scheduled at a crisis's closing."""
    settings, url = worker_settings()
    client = async_redis(url)
    try:
        report = await purge(client, Keys(settings.redis_prefix),
                             utcnow() - dt.timedelta(days=retention_days))
    finally:
        await client.aclose()
    log.info("retention purge", extra=dataclasses.asdict(report))
    return dataclasses.asdict(report)
