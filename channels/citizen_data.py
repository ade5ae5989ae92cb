"""One citizen's data on request: everything the contact centre holds about them, or nothing.

GDPR article 15 (access): `export_citizen` gathers every record keyed by the citizen's id (the
keyed hash of their address, channels/addresses.py): their addresses per channel, every
conversation with its messages and state changes, whether they opted out, and their alert
subscriptions (areas, language, consent time and source).
GDPR article 17 (erasure): `erase_citizen` deletes the same, taking open conversations out of
the queue and off operators first. The opt-out is kept unless asked otherwise: it holds only
the keyed hash and is what stops the centre from texting them again.

The knowledge base's unanswered questions are aggregated texts without an author (the
retention purge covers them); they are out of reach of a per-citizen request, as documented
in docs/security.md.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import redis.asyncio as aioredis

from channels.addresses import citizen_id, normalise_address
from channels.alerts.subscriptions import ALERT_CHANNELS, Subscriptions
from channels.keys import ChannelKeys
from channels.router import Router
from channels.store import drop_conversation
from crisis.types import ChannelKind


@dataclasses.dataclass(frozen=True)
class ErasureReport:
    citizen: str
    conversations: int
    addresses: int
    opt_out_removed: bool


def citizen_of(secret: bytes, channel: ChannelKind, address: str) -> str:
    """The citizen id of an address as the citizen gives it (InvalidInput if it is not one)."""
    return citizen_id(secret, normalise_address(channel, address))


async def export_citizen(redis: aioredis.Redis, keys: ChannelKeys, citizen: str) -> dict[str, Any]:
    """Every record about `citizen`, as plain JSON-ready data (nothing is changed)."""
    addresses = cast(dict[str, str], await redis.hgetall(keys.citizen(citizen)))
    conversation_ids = sorted(str(c) for c in await redis.smembers(
        keys.citizen_conversations(citizen)))
    conversations = []
    for conversation_id in conversation_ids:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.conversation(conversation_id))
            pipe.lrange(keys.messages(conversation_id), 0, -1)
            pipe.lrange(keys.transitions(conversation_id), 0, -1)
            fields, messages, transitions = await pipe.execute()
        if fields:
            conversations.append({"id": conversation_id, "record": fields,
                                  "messages": [str(m) for m in messages],
                                  "state_changes": [str(t) for t in transitions]})
    subscriptions = Subscriptions(redis, keys, b"")
    alerts = {}
    for channel in ALERT_CHANNELS:
        found = await subscriptions.of_citizen(channel, citizen)
        if found is not None:
            alerts[channel] = {"areas": list(found.areas), "lang": found.lang,
                               "consent_at": found.consent_at.isoformat(),
                               "source": found.source}
    return {"citizen": citizen, "addresses": addresses, "conversations": conversations,
            "opted_out": bool(await redis.sismember(keys.optout, citizen)),
            "alert_subscriptions": alerts}


async def erase_citizen(redis: aioredis.Redis, keys: ChannelKeys, citizen: str, *,
                        forget_opt_out: bool = False) -> ErasureReport:
    """Delete every record about `citizen`; an open conversation leaves the queue and its
    operator first. Idempotent: erasing twice erases nothing the second time."""
    router = Router(redis, keys)
    subscriptions = Subscriptions(redis, keys, b"")
    for channel in ALERT_CHANNELS:  # their alert subscriptions end with the rest
        await subscriptions.unsubscribe_citizen(channel, citizen)
    addresses = cast(dict[str, str], await redis.hgetall(keys.citizen(citizen)))
    conversation_ids = [str(c) for c in await redis.smembers(keys.citizen_conversations(citizen))]
    for conversation_id in conversation_ids:
        operator = await redis.hget(keys.conversation(conversation_id), "operator")
        if operator:
            await router.release(conversation_id, str(operator))
        await router.dequeue(conversation_id)
        async with redis.pipeline(transaction=True) as pipe:
            drop_conversation(pipe, keys, conversation_id)
            pipe.zrem(keys.offers, conversation_id)
            await pipe.execute()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.citizen(citizen), keys.citizen_conversations(citizen),
                    *[keys.address(channel, citizen) for channel in addresses])
        if forget_opt_out:
            pipe.srem(keys.optout, citizen)
        results = await pipe.execute()
    return ErasureReport(citizen, len(conversation_ids), len(addresses),
                         bool(forget_opt_out and results[-1]))
