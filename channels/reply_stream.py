"""The stream of outbound replies waiting to be sent, and its consumer group's bookkeeping.

The desk adds one entry per reply to a queued channel (channels/outbox.py). The workers'
reply consumers (channels/reply_consumer.py) read entries many at a time (XREADGROUP COUNT)
in the group `senders`, each under its process name (`<host>-<pid>`), and acknowledge and
delete an entry once its reply is sent, failed, or handed to a retry job: the stream holds
only the replies still to send.

An entry read but not yet acknowledged stays in the group's pending list under its reader's
name. A worker killed mid-batch leaves its entries there, and another consumer takes them
over (XCLAIM): at once when the reader was a process of this host that no longer exists
(crisis/abandoned_jobs.py tells), after CLAIM_IDLE_MS when it cannot tell (another machine's
worker). Whether a taken-over reply was already sent, or was in its provider call when its
worker died, is decided by the send itself (channels/outbound.py): never sent twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from redis.typing import StreamIdT

from channels.keys import ChannelKeys

GROUP = "senders"
# A live consumer holds a batch for at most the senders' pacing wait (30 s) plus the provider
# calls: an entry idle this long belongs to a consumer that died where we cannot see it.
CLAIM_IDLE_MS = 300_000
# A dead local consumer's entries are claimed only if idle this long: a claim by another
# consumer resets the idle time, so two consumers never both take the same entry.
DEAD_CLAIM_IDLE_MS = 500


@dataclasses.dataclass(frozen=True)
class QueuedReply:
    """One entry: outbound message `message_id` of `conversation_id`, by channel `kind`."""

    entry_id: str
    kind: str
    conversation_id: str
    message_id: str


def _replies(entries: list[Any] | None) -> list[QueuedReply]:
    replies = []
    for entry_id, fields in entries or []:
        if entry_id is None or not fields:  # deleted meanwhile
            continue
        replies.append(QueuedReply(entry_id, fields.get("kind", ""),
                                   fields.get("conversation", ""), fields.get("message", "")))
    return replies


async def acknowledge_and_delete(redis: aioredis.Redis, key: str, group: str,
                                 entry_ids: list[str]) -> None:
    """Acknowledge and delete handled entries of a work stream, both or neither (one round
    trip): its length is then its backlog (the reply and second-look streams)."""
    if not entry_ids:
        return
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xack(key, group, *entry_ids)
        pipe.xdel(key, *entry_ids)
        await pipe.execute()


class ReplyStream:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.key = keys.reply_stream

    async def add(self, kind: str, conversation_id: str, message_id: str) -> None:
        """Queue one reply for the workers (one round trip)."""
        await self.redis.xadd(self.key, {"kind": kind, "conversation": conversation_id,
                                         "message": message_id})

    async def add_many(self, replies: Sequence[tuple[str, str, str]]) -> None:
        """`add` of many (kind, conversation id, message id), in one round trip."""
        if not replies:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for kind, conversation_id, message_id in replies:
                pipe.xadd(self.key, {"kind": kind, "conversation": conversation_id,
                                     "message": message_id})
            await pipe.execute()

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if need be; entries added before it
        existed are read too (the group starts at the stream's beginning)."""
        try:
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[QueuedReply]:
        """Up to `count` replies no consumer has read yet, now theirs until `done`; waits up
        to `block_ms` for one when there is none (None: does not wait)."""
        response = await self.redis.xreadgroup(GROUP, consumer, {self.key: ">"}, count=count,
                                               block=block_ms)
        if not response:
            return []
        if isinstance(response, dict):  # RESP3
            return _replies(cast(list[Any], next(iter(response.values()))[0]))
        return _replies(cast(list[Any], response[0][1]))

    async def done(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries, both or neither (one round trip)."""
        await acknowledge_and_delete(self.redis, self.key, GROUP, entry_ids)

    async def live_consumers(self, consumer: str, is_dead: Callable[[str], bool]) -> int:
        """How many consumers share the group: `consumer`, and the others not known dead that
        read within the last minute."""
        infos = await self.redis.xinfo_consumers(self.key, GROUP)
        return 1 + sum(1 for info in infos if str(info["name"]) != consumer
                       and int(info.get("idle", 0)) < 60_000 and not is_dead(str(info["name"])))

    async def take_over(self, consumer: str, is_dead: Callable[[str], bool], count: int
                        ) -> list[QueuedReply]:
        """Up to `count` pending replies of dead consumers, now `consumer`'s: first those of
        the consumers `is_dead` names (forgotten once they hold nothing), then any idle for
        CLAIM_IDLE_MS."""
        taken: list[QueuedReply] = []
        for info in await self.redis.xinfo_consumers(self.key, GROUP):
            name = str(info["name"])
            if name == consumer or not is_dead(name):
                continue
            if not int(info["pending"]):
                # Holds nothing, and a dead consumer is given nothing more: forget it
                # (deleting one that still held entries would drop them).
                await self.redis.xgroup_delconsumer(self.key, GROUP, name)
            elif len(taken) < count:
                rows = await self.redis.xpending_range(self.key, GROUP, min="-", max="+",
                                                       count=count - len(taken),
                                                       consumername=name)
                ids: list[StreamIdT] = [row["message_id"] for row in rows]
                if ids:
                    taken += _replies(await self.redis.xclaim(
                        self.key, GROUP, consumer, DEAD_CLAIM_IDLE_MS, ids))
        if len(taken) < count:
            response = await self.redis.xautoclaim(self.key, GROUP, consumer, CLAIM_IDLE_MS,
                                                   "0-0", count=count - len(taken))
            taken += _replies(response[1])
        return taken
