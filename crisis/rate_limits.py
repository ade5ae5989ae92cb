"""Counting limits in Redis, shared by every process: so many hits per window per subject.

One script per hit: count, start the window on the first hit, return the count and the
seconds left. Shared through Redis because a citizen's flood or a password guesser may reach
any web process; a per-process count would multiply the limit by the number of processes.
The caller builds the key (each package's keys.py) and chooses what to do on refusal.
"""

from __future__ import annotations

import dataclasses
import redis.asyncio as aioredis

from crisis.lua_scripts import register_lua


@dataclasses.dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after_s: int  # seconds until the window ends (0 when allowed)
    limit: int

    @property
    def first_refusal(self) -> bool:
        """The first hit over the limit in this window: tell the sender once, not each time."""
        return not self.allowed and self.count == self.limit + 1


class WindowLimit:
    """At most `limit` hits per `window_s` seconds per key (a fixed window started by the
    first hit)."""

    def __init__(self, redis: aioredis.Redis, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hit = register_lua(redis, "crisis", "window_hit.lua", "rate_limits_hit.lua")
        self._peek = register_lua(redis, "crisis", "rate_limits_peek.lua")

    async def hit(self, key: str) -> Verdict:
        """Count one hit on `key`; refused when it is over the limit."""
        count, left = await self._hit(keys=[key], args=[self.window_s])
        allowed = int(count) <= self.limit
        return Verdict(allowed, int(count), 0 if allowed else max(1, int(left)), self.limit)

    async def check(self, key: str) -> Verdict:
        """Whether one more hit would be allowed, without counting it."""
        count, left = await self._peek(keys=[key])
        allowed = int(count) < self.limit
        return Verdict(allowed, int(count), 0 if allowed else max(1, int(left)), self.limit)
