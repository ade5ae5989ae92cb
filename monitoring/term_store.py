"""Trending terms in Redis: the normaliser's in-process tally of gram counts, flushed every
FLUSH_S into one hash per minute, and the trend cycle (every CYCLE_S, one process at a time)
that rolls closed minutes into the baseline and stores the trending grams for the situation view.

Why a tally in the process: a signal adds one to ~30-90 (scope, gram) counters; one HINCRBY
each would cost more than the normalisation itself. Summed over FLUSH_S, repeated grams
collapse into one HINCRBY per minute hash. A crash loses at most FLUSH_S of term counts
(statistics only; the signals, their windows and their acknowledgement are not concerned).
Memory: the tally holds at most MAX_PENDING counters (flushed early beyond); a minute hash
lives MINUTE_TTL_S; the baseline is bounded by monitoring/term_trends.py (MAX_BASELINE).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from crisis.lua_scripts import register_lua
from monitoring.keys import WatchKeys
from monitoring.normalise import NormalisedSignal
from monitoring.term_forms import forms_of, recent_texts
from monitoring.term_trends import WARMUP_MIN, WINDOW_MIN, Baseline, counter_names, trending

FLUSH_S: Final = 5.0
CYCLE_S: Final = 30  # a surge is flushed within FLUSH_S and scored within CYCLE_S: <= 35 s
MAX_PENDING: Final = 200_000
FLUSH_CHUNK: Final = 20_000  # counters per script call: Redis is never held more than ~10 ms
MINUTE_TTL_S: Final = (WINDOW_MIN + WARMUP_MIN + 10) * 60
CATCH_UP_MIN: Final = WARMUP_MIN + 10  # minutes rolled at most after a pause
TRENDING_TTL_S: Final = 10 * 60


def minute_of(epoch_s: float) -> int:
    return int(epoch_s // 60)


class TermTally:
    """Gram counts per minute summed in the normaliser between flushes."""

    def __init__(self) -> None:
        self.pending: dict[int, Counter[str]] = {}
        self.size = 0
        self.flushed_at = time.monotonic()
        self._add: AsyncScript | None = None  # hash_add.lua, registered on the first flush

    def add(self, signals: Iterable[NormalisedSignal]) -> None:
        for signal in signals:
            counts = self.pending.setdefault(minute_of(signal.time.timestamp()), Counter())
            names = counter_names(signal.terms, signal.source, signal.area)
            counts.update(names)
            self.size += len(names)

    def due(self) -> bool:
        return self.size >= MAX_PENDING or time.monotonic() - self.flushed_at >= FLUSH_S

    async def flush(self, redis: aioredis.Redis, keys: WatchKeys) -> None:
        """Every pending count added to its minute's hash (hash_add.lua, a JSON object of
        counts per call: one command instead of one HINCRBY per counter), then forgotten."""
        pending, self.pending, self.size = self.pending, {}, 0
        self.flushed_at = time.monotonic()
        if not pending:
            return
        if self._add is None:
            self._add = register_lua(redis, "monitoring", "hash_add.lua")
        for minute, counts in pending.items():
            key = keys.term_minute(str(minute))
            items = list(counts.items())
            for start in range(0, len(items), FLUSH_CHUNK):
                chunk = json.dumps(dict(items[start:start + FLUSH_CHUNK]), ensure_ascii=False)
                await self._add(keys=[key], args=[MINUTE_TTL_S, chunk])


def _load(raw: bytes | str | None) -> Baseline:
    if not raw:
        return Baseline({})
    data = json.loads(raw)
    return Baseline({str(k): float(v) for k, v in data["rates"].items()},
                     data.get("last_minute"), int(data.get("minutes", 0)),
                     float(data.get("cutoff", 0.0)))


async def _minutes(redis: aioredis.Redis, keys: WatchKeys, minutes: range) -> list[dict[str, int]]:
    async with redis.pipeline(transaction=False) as pipe:
        for minute in minutes:
            pipe.hgetall(keys.term_minute(str(minute)))
        raws = await pipe.execute()
    return [{_text(k): int(v) for k, v in raw.items()} for raw in raws]


async def trend_cycle(redis: aioredis.Redis, keys: WatchKeys, *, now_s: float | None = None,
                      force: bool = False) -> list[dict[str, Any]] | None:
    """Roll the closed minutes before the window into the baseline, score the window, store
    the trending grams (watch:terms:trending). One process per CYCLE_S (a lock); returns the
    trending list, or None when another process has the cycle (or it is not due)."""
    now_s = time.time() if now_s is None else now_s
    if not force and not await redis.set(keys.term_lock, "1", nx=True, ex=CYCLE_S - 1):
        return None
    baseline = _load(await redis.get(keys.term_baseline))
    current = minute_of(now_s)
    newest_closed = current - WINDOW_MIN
    first = newest_closed - CATCH_UP_MIN + 1
    if baseline.last_minute is not None:
        first = max(first, baseline.last_minute + 1)
    todo = range(first, newest_closed + 1)
    for minute, counts in zip(todo, await _minutes(redis, keys, todo), strict=True):
        if baseline.last_minute is None and not counts:
            continue  # a first start: the warm-up counts from the first minute with signals
        baseline.roll(minute, counts)
    window: Counter[str] = Counter()
    for counts in await _minutes(redis, keys, range(newest_closed + 1, current + 1)):
        window.update(counts)
    elapsed = WINDOW_MIN - 1 + max(now_s % 60, 1.0) / 60
    trends = trending(baseline, window, elapsed)
    forms = await asyncio.to_thread(forms_of, {t.gram for t in trends},
                                    await recent_texts(redis, keys)) if trends else {}
    found = [t.as_json(forms) for t in trends]
    body = json.dumps({"at": now_s, "warming_up": baseline.minutes < WARMUP_MIN,
                       "trending": found})
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.term_baseline, json.dumps({"rates": baseline.rates, "minutes": baseline.minutes,
                                                 "last_minute": baseline.last_minute,
                                                 "cutoff": baseline.cutoff}))
        pipe.set(keys.term_trending, body, ex=TRENDING_TTL_S)
        await pipe.execute()
    return found


async def stored_trending(redis: aioredis.Redis, keys: WatchKeys) -> dict[str, Any]:
    """The last cycle's result: {"at", "warming_up", "trending": [...]} (empty before any)."""
    raw = await redis.get(keys.term_trending)
    if not raw:
        return {"at": None, "warming_up": True, "trending": []}
    data: dict[str, Any] = json.loads(raw)
    return data


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
