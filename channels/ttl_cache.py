"""A value read again from its source at most every `ttl_s` (per process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TtlCache(Generic[T]):
    """`get` returns the value loaded less than `ttl_s` ago, or loads it again.

    One load at a time: when the value expires under load, the hundreds of requests that
    want it in the same instant wait for one read of the source instead of each starting
    their own (a surge of calls all expired the IVR content together)."""

    def __init__(self, load: Callable[[], Awaitable[T]], ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.load = load
        self.ttl_s = ttl_s
        self.clock = clock
        self._value: T | None = None
        self._loaded_at = 0.0
        self._loading: asyncio.Task[T] | None = None
        self._generation = 0  # bumped by invalidate: a load begun before is not kept

    async def get(self) -> T:
        now = self.clock()
        if self._value is not None and now - self._loaded_at < self.ttl_s:
            return self._value
        loading = self._loading
        if loading is None or loading.get_loop() is not asyncio.get_running_loop():
            loading = self._loading = asyncio.ensure_future(self._reload(now, self._generation))
        # Shielded: a request cancelled while waiting does not cancel the others' load.
        return await asyncio.shield(loading)

    async def _reload(self, now: float, generation: int) -> T:
        try:
            value = await self.load()
        finally:
            if generation == self._generation:
                self._loading = None
        if generation == self._generation:
            self._value = value
            self._loaded_at = now
        return value

    def invalidate(self) -> None:
        self._value = None
        self._loading = None
        self._generation += 1
