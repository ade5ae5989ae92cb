"""A uniform random sample of alert subscribers, without replacement, reproducible from its seed.

Each subscriber (channel, citizen) gets a pseudo-random rank, a keyed hash of the seed and
its id; the sample is the `size` smallest ranks ("bottom-k" sampling). Ranks of distinct
subscribers are independent and uniform, so every subset of `size` subscribers is equally
likely; the same seed and the same subscribers give the same sample whatever order Redis
returns them in, which is what makes the draw reproducible (the seed is kept with the
pulse). The subscribers are streamed in batches (SSCAN) and only `size` of them are held in
memory, so drawing 1,000 among a million costs the scan, not a copy.

A citizen subscribed to several départements of the scope is one subscriber: a member
found in a département's set counts only if it is in none of the scope's earlier ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
from collections.abc import AsyncIterator, Iterable

import redis.asyncio as aioredis

from channels.keys import ChannelKeys

SCAN_BATCH = 5000


@dataclasses.dataclass(frozen=True, slots=True)
class SampleDraw:
    seed: str
    population: int  # distinct subscribers in the scope, all channels together
    chosen: dict[str, list[str]]  # channel -> the citizens drawn (channels with none left out)

    @property
    def drawn(self) -> int:
        return sum(len(members) for members in self.chosen.values())


def rank(seed: str, channel: str, citizen: str) -> int:
    digest = hashlib.blake2b(f"{channel}:{citizen}".encode(), digest_size=8,
                             key=seed.encode()[:64]).digest()
    return int.from_bytes(digest, "big")


class _Smallest:
    """The `size` subscribers of smallest rank seen so far (a max-heap of negated ranks)."""

    def __init__(self, seed: str, size: int) -> None:
        self.seed, self.size = seed, size
        self.heap: list[tuple[int, str, str]] = []
        self.kept: set[tuple[str, str]] = set()

    def offer(self, channel: str, members: Iterable[str]) -> None:
        for citizen in members:
            if (channel, citizen) in self.kept:
                continue  # returned twice by a scan during a rehash
            entry = (-rank(self.seed, channel, citizen), channel, citizen)
            if len(self.heap) < self.size:
                heapq.heappush(self.heap, entry)
                self.kept.add((channel, citizen))
            elif entry > self.heap[0]:
                _, old_channel, old_citizen = heapq.heapreplace(self.heap, entry)
                self.kept.discard((old_channel, old_citizen))
                self.kept.add((channel, citizen))


async def _scan(redis: aioredis.Redis, key: str) -> AsyncIterator[list[str]]:
    cursor = 0
    while True:
        cursor, members = await redis.sscan(key, cursor, count=SCAN_BATCH)
        if members:
            yield [str(m) for m in members]
        if cursor == 0:
            return


async def _new_members(redis: aioredis.Redis, earlier: list[str],
                       members: list[str]) -> list[str]:
    """`members` that are in none of the `earlier` sets (already counted)."""
    if not earlier:
        return members
    async with redis.pipeline(transaction=False) as pipe:
        for key in earlier:
            pipe.smismember(key, members)
        found = await pipe.execute()
    return [m for i, m in enumerate(members) if not any(row[i] for row in found)]


async def draw_sample(redis: aioredis.Redis, keys: ChannelKeys, channels: Iterable[str],
                      areas: tuple[str, ...], size: int, seed: str) -> SampleDraw:
    """Draw `size` subscribers (all of them when there are fewer) among those of `areas`
    (() for all) on `channels`. Batches are read one at a time; one batch's ranks take a
    few milliseconds, so the event loop serves others between them."""
    smallest = _Smallest(seed, size)
    population = 0
    for channel in channels:
        if not areas:  # every subscriber of the channel, each once
            async for batch in _scan(redis, keys.alert_channel(channel)):
                population += len(batch)
                smallest.offer(channel, batch)
            continue
        for index, area in enumerate(areas):
            earlier = [keys.alert_area(a, channel) for a in areas[:index]]
            async for batch in _scan(redis, keys.alert_area(area, channel)):
                fresh = await _new_members(redis, earlier, batch)
                population += len(fresh)
                smallest.offer(channel, fresh)
    chosen: dict[str, list[str]] = {}
    for _, channel, citizen in sorted(smallest.heap, reverse=True):
        chosen.setdefault(channel, []).append(citizen)
    return SampleDraw(seed=seed, population=population, chosen=chosen)
