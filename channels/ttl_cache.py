"""A value read again from its source at most every `ttl_s` (per process)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TtlCache(Generic[T]):
    """`get` returns the value loaded less than `ttl_s` ago, or loads it again."""

    def __init__(self, load: Callable[[], Awaitable[T]], ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.load = load
        self.ttl_s = ttl_s
        self.clock = clock
        self._value: T | None = None
        self._loaded_at = 0.0

    async def get(self) -> T:
        now = self.clock()
        if self._value is None or now - self._loaded_at >= self.ttl_s:
            self._value = await self.load()
            self._loaded_at = now
        return self._value

    def invalidate(self) -> None:
        self._value = None
