"""The questions waiting for a second look: a bounded Redis stream read by the workers.

When the automatic answer's fast path leaves a question to the second look (its top article
is bare: knowledge_base/second_look.py), the desk queues the conversation for the operators
as ever, then adds one entry here. A worker's consumer (channels/second_look_consumer.py)
reads it in the group `second-look`, embeds and decides, and deletes it. Both ends are
bounded, so a burst can never pile up work that would answer late: a request is refused when
MAX_BACKLOG wait, and one older than MAX_AGE_S when read is dropped. Either way the question
simply stays with the operators, as it would without the second look, and the drop is counted
(`crisis_kb_second_looks_total`).

The queue's notice to the citizen is held meanwhile (a sorted set beside the stream): the
look's answer replaces it; a look that declines, comes too late or is dropped sends it; and
a look that never comes (no worker) is covered by the desk's sweep, which sends what is held
past NOTICE_HELD_S.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from channels.keys import ChannelKeys
from channels.reply_stream import acknowledge_and_delete
from crisis.lua_scripts import register_lua
from crisis.metrics import SECOND_LOOKS

GROUP = "second-look"
# About a minute of one consumer's work at 0.1-0.3 s a question: past it, questions would be
# read older than MAX_AGE_S anyway.
MAX_BACKLOG = 200
# A second look is worth its answer while the citizen has not waited noticeably longer than
# for an automatic one: an SMS answer seconds later is still the conversation's first.
MAX_AGE_S = 5.0
# The queue's notice ("you are number N") waits while the look decides, so a citizen the look
# answers gets one message, not a notice and then the answer. Sent anyway this long after it
# was held if no look decided (no worker running, a worker killed mid-look): the look's
# deadline, and its time to answer.
NOTICE_HELD_S = MAX_AGE_S + 2.0
# An entry a consumer read and never acknowledged (it died) is taken back after this long and
# dropped as old: by then it is past MAX_AGE_S.
ABANDONED_MS = int(MAX_AGE_S * 1000)


@dataclasses.dataclass(frozen=True, slots=True)
class SecondLookRequest:
    """Citizen message `message_id` of `conversation_id`, its `seq`-th, asked at `asked_at`."""

    entry_id: str
    conversation_id: str
    message_id: str
    seq: int
    asked_at: float  # epoch seconds


def _notice(conversation_id: str, message_id: str) -> str:
    return json.dumps([conversation_id, message_id])


def _requests(entries: list[Any] | None) -> list[SecondLookRequest]:
    found = []
    for entry_id, fields in entries or []:
        if entry_id is None or not fields:  # deleted meanwhile
            continue
        found.append(SecondLookRequest(
            str(entry_id), str(fields.get("conversation", "")), str(fields.get("message", "")),
            int(fields.get("seq") or 0), float(fields.get("at") or 0.0)))
    return found


class SecondLookRequests:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.key = keys.second_looks
        self.notices = keys.held_notices
        self._ask = register_lua(redis, "channels", "second_look_request.lua")

    async def ask(self, conversation_id: str, message_id: str, seq: int,
                  now: float | None = None) -> bool:
        """Ask for a second look at the message (one round trip); False, counted, when
        MAX_BACKLOG requests already wait."""
        added = await self._ask(keys=[self.key], args=[
            MAX_BACKLOG, "conversation", conversation_id, "message", message_id, "seq", seq,
            "at", time.time() if now is None else now])
        SECOND_LOOKS.labels("asked" if added else "dropped-backlog").inc()
        return bool(added)

    async def hold_notice(self, conversation_id: str, message_id: str,
                          now: float | None = None) -> None:
        """Hold the queue notice answering the message until the look decides (at most
        NOTICE_HELD_S)."""
        due = (time.time() if now is None else now) + NOTICE_HELD_S
        await self.redis.zadd(self.notices, {_notice(conversation_id, message_id): due})

    async def claim_notice(self, conversation_id: str, message_id: str) -> bool:
        """Whether the held notice is the caller's to send (once: whoever claims it first)."""
        return bool(await self.redis.zrem(self.notices, _notice(conversation_id, message_id)))

    def drop_notice_in(self, pipe: Any, conversation_id: str, message_id: str) -> None:
        """Drop the held notice in the caller's transaction (the look answered instead)."""
        pipe.zrem(self.notices, _notice(conversation_id, message_id))

    async def overdue_notices(self, now: float | None = None,
                              count: int = 100) -> list[tuple[str, str]]:
        """(conversation, message) of up to `count` notices held past their time."""
        members = cast(list[str], await self.redis.zrangebyscore(
            self.notices, "-inf", time.time() if now is None else now, start=0, num=count))
        return [(str(c), str(m)) for c, m in (json.loads(member) for member in members)]

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if need be."""
        try:
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[SecondLookRequest]:
        """Up to `count` requests nobody read yet, now `consumer`'s until `done`; waits up
        to `block_ms` for one (None: does not wait)."""
        response = await self.redis.xreadgroup(GROUP, consumer, {self.key: ">"}, count=count,
                                               block=block_ms)
        if not response:
            return []
        if isinstance(response, dict):  # RESP3
            return _requests(cast(list[Any], next(iter(response.values()))[0]))
        return _requests(cast(list[Any], response[0][1]))

    async def abandoned(self, consumer: str, count: int) -> list[SecondLookRequest]:
        """Up to `count` requests another consumer read and left unacknowledged for
        ABANDONED_MS (it died), now `consumer`'s: old by now, to be dropped."""
        response = await self.redis.xautoclaim(self.key, GROUP, consumer, ABANDONED_MS, "0-0",
                                               count=count)
        return _requests(cast(list[Any], response[1]))

    async def done(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries, both or neither (one round trip)."""
        await acknowledge_and_delete(self.redis, self.key, GROUP, entry_ids)

    async def backlog(self) -> int:
        """Requests waiting or being looked at."""
        return int(await self.redis.xlen(self.key))
