"""The per-process cache of a value read from Redis: fresh for its TTL, one load at a time."""

from __future__ import annotations

import asyncio

import pytest

from channels.ttl_cache import TtlCache


class Source:
    def __init__(self) -> None:
        self.loads = 0
        self.release = asyncio.Event()
        self.fail = False

    async def load(self) -> int:
        self.loads += 1
        number = self.loads
        await self.release.wait()
        if self.fail:
            raise RuntimeError("source down")
        return number


async def test_requests_arriving_together_share_one_load() -> None:
    source, now = Source(), [0.0]
    cache = TtlCache(source.load, 2.0, clock=lambda: now[0])
    waiting = [asyncio.create_task(cache.get()) for _ in range(50)]
    await asyncio.sleep(0)
    source.release.set()
    assert await asyncio.gather(*waiting) == [1] * 50
    assert source.loads == 1
    now[0] = 1.9
    assert await cache.get() == 1 and source.loads == 1
    now[0] = 2.0
    assert await cache.get() == 2 and source.loads == 2


async def test_a_waiter_cancelled_does_not_cancel_the_others_load() -> None:
    source = Source()
    cache = TtlCache(source.load, 2.0, clock=lambda: 0.0)
    first, second = asyncio.create_task(cache.get()), asyncio.create_task(cache.get())
    await asyncio.sleep(0)
    first.cancel()
    source.release.set()
    assert await second == 1
    assert first.cancelled() and source.loads == 1


async def test_a_failed_load_fails_its_waiters_and_the_next_get_tries_again() -> None:
    source = Source()
    source.fail = True
    source.release.set()
    cache = TtlCache(source.load, 2.0, clock=lambda: 0.0)
    with pytest.raises(RuntimeError, match="source down"):
        await cache.get()
    source.fail = False
    assert await cache.get() == 2


async def test_a_load_begun_before_invalidate_is_not_kept() -> None:
    source = Source()
    cache = TtlCache(source.load, 60.0, clock=lambda: 0.0)
    early = asyncio.create_task(cache.get())
    await asyncio.sleep(0)
    cache.invalidate()  # e.g. the cell saved new IVR texts while a load was reading
    late = asyncio.create_task(cache.get())
    await asyncio.sleep(0)
    source.release.set()
    assert await early == 1 and await late == 2
    assert await cache.get() == 2 and source.loads == 2
