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
from crisis.lua_scripts import register_lua
from crisis.ports import Pace

PACE_TIMEOUT_S = 30.0


# A spread send keeps this margin under its rate, so that network jitter between us and the
# provider never puts one more send into one of the provider's seconds.
SPREAD_MARGIN = 1.02


class Pacer:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys
        self._spread = register_lua(redis, "channels", "pacing_spread.lua")

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

    async def wait(self, paces: Sequence[Pace], share: float = 1.0, spread: bool = False,
                   lane: str = "") -> None:
        """Return once this send fits every pace in the current second. A broadcast asks
        with `share` < 1: it stops at that part of the limit, replies keep the rest; and
        `spread`: its sends evenly spaced over the second rather than in a burst, on a
        schedule of its `lane` (replies keep their own: behind a broadcast's thousands of
        reserved slots they would wait for all of them)."""
        deadline = time.monotonic() + PACE_TIMEOUT_S
        if spread:
            for pace in paces:
                rate = max(1e-3, pace.per_second * share)
                key = self.k.send_spread(f"{pace.key}:{lane}" if lane else pace.key)
                wait_us = await self._spread(keys=[key],
                                             args=[int(1_000_000 * SPREAD_MARGIN / rate)])
                if int(wait_us) > PACE_TIMEOUT_S * 1_000_000:
                    raise ChannelError(f"sending rate {pace.key} saturated", retryable=True)
                await asyncio.sleep(int(wait_us) / 1_000_000)
        for pace in paces:
            while not await self._room(pace, int(time.time()), share):
                if time.monotonic() > deadline:
                    raise ChannelError(f"sending rate {pace.key} saturated", retryable=True)
                await asyncio.sleep(max(0.0, int(time.time()) + 1 - time.time()))
