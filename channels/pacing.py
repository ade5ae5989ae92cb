"""Sending paced to the providers' limits, shared by every worker through Redis.

A provider queues or refuses what exceeds its rate (a Twilio long code sends about one SMS a
second, Telegram about 30 messages a second overall and one a second per chat): each `Pace`
an adapter names for a message is a counter per wall-clock second in Redis, so all workers on
all machines together stay under it. A send waits for the next second with room, up to
PACE_TIMEOUT_S, then gives up with a retryable error (RQ tries again later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.errors import ChannelError
from crisis.ports import Pace

PACE_TIMEOUT_S = 30.0


class Pacer:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys

    async def _room(self, pace: Pace, second: int, share: float = 1.0) -> bool:
        key = self.k.send_rate(pace.key, second)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2)
            count, _ = await pipe.execute()
        if int(count) <= max(1, int(pace.per_second * share)):
            return True
        # Refused: this attempt does not count, or a broadcast's waiting sends would push the
        # counter past the whole limit and hold back the replies it leaves room for.
        await self.redis.decr(key)
        return False

    async def wait(self, paces: Sequence[Pace], share: float = 1.0) -> None:
        """Return once this send fits every pace in the current second. A broadcast asks
        with `share` < 1: it stops at that part of the limit, replies keep the rest."""
        deadline = time.monotonic() + PACE_TIMEOUT_S
        for pace in paces:
            while not await self._room(pace, int(time.time()), share):
                if time.monotonic() > deadline:
                    raise ChannelError(f"sending rate {pace.key} saturated", retryable=True)
                await asyncio.sleep(max(0.0, int(time.time()) + 1 - time.time()))
