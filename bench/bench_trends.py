"""Benchmark: the trending terms' cycle (monitoring/term_store.py trend_cycle) with 1 million
signals in the window, against a baseline measured in the same run: reading the same minute
hashes back (HGETALL, pipelined), the least any cycle must do.

The counts are written as the normaliser's tally writes them (hash_add.lua), from DISTINCT
generated signals (Zipf-distributed stems over a 20,000-stem vocabulary, 3 sources, 100
départements) each repeated by a Zipf weight, so that the window holds WINDOW_SIGNALS signals
(a crisis's retweets and copied messages repeat texts) without counting each one in Python.
The history (the baseline's minutes before the window) carries a tenth of that traffic.

Measured:
- catch-up: the first cycle, rolling CATCH_UP_MIN minutes of history into an empty baseline;
- cycle: the steady cycle (every CYCLE_S): the window scored against the baseline, stored;
- read: HGETALL of the window's minute hashes alone (the baseline of the ratio).

Usage: python bench/bench_trends.py [WINDOW_SIGNALS] [DISTINCT]   (default 1,000,000 and 30,000)
"""

from __future__ import annotations

import asyncio
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from monitoring.keys import WatchKeys  # noqa: E402
from monitoring.term_store import (  # noqa: E402
    CATCH_UP_MIN, TermTally, minute_of, trend_cycle,
)
from monitoring.term_trends import WINDOW_MIN, counter_names  # noqa: E402

VOCABULARY = 20_000
STEMS_PER_SIGNAL = 8
ROUNDS = 5


def distinct_signals(count: int, rng: random.Random) -> list[tuple[tuple[str, ...], str, str]]:
    """(stems, source, area) of `count` different signals, stems drawn Zipf-like."""
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    stems = [f"t{rank}" for rank in range(VOCABULARY)]
    return [(tuple(rng.choices(stems, weights, k=STEMS_PER_SIGNAL)),
             rng.choice(("social", "rss", "contact")), f"{rng.randint(1, 95):02d}")
            for _ in range(count)]


def minute_counts(signals: list[tuple[tuple[str, ...], str, str]], total: int,
                  rng: random.Random) -> Counter[str]:
    """The (scope, gram) counters of `total` signals drawn from `signals` with Zipf weights."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(signals))]
    scale = total / sum(weights)
    counts: Counter[str] = Counter()
    for (stems, source, area), weight in zip(signals, weights, strict=True):
        times = max(1, round(weight * scale * rng.uniform(0.8, 1.2)))
        for name in counter_names(stems, source, area):
            counts[name] += times
    return counts


async def write_minute(redis, keys: WatchKeys, minute: int, counts: Counter[str]) -> None:  # type: ignore[no-untyped-def]
    tally = TermTally()
    tally.pending = {minute: counts}
    tally.size = len(counts)
    await tally.flush(redis, keys)


async def run(url: str, window_signals: int, distinct: int) -> dict[str, object]:
    redis = async_redis(url)
    keys = WatchKeys(Keys("bench:"))
    rng = random.Random(17)
    signals = distinct_signals(distinct, rng)
    now_s = time.time()
    current = minute_of(now_s)
    per_minute = window_signals // WINDOW_MIN
    history = minute_counts(signals, per_minute // 10, rng)
    for minute in range(current - WINDOW_MIN - CATCH_UP_MIN + 1, current - WINDOW_MIN + 1):
        await write_minute(redis, keys, minute, history)
    # The window: the same traffic ten times over, and one phrase that surges from nothing.
    window = minute_counts(signals, per_minute, rng)
    surge = counter_names(("digu", "ced", "nuit"), "social", "44")
    for name in surge:
        window[name] += 400
    for minute in range(current - WINDOW_MIN + 1, current + 1):
        await write_minute(redis, keys, minute, window)

    started = time.perf_counter()
    await trend_cycle(redis, keys, now_s=now_s, force=True)
    catch_up = time.perf_counter() - started
    cycles, reads = [], []
    found: list[dict[str, object]] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        async with redis.pipeline(transaction=False) as pipe:
            for minute in range(current - WINDOW_MIN + 1, current + 1):
                pipe.hgetall(keys.term_minute(str(minute)))
            await pipe.execute()
        reads.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = await trend_cycle(redis, keys, now_s=now_s, force=True) or []
        cycles.append(time.perf_counter() - started)
    await redis.flushdb()
    await redis.aclose()
    return {"catch_up": catch_up, "cycle": statistics.median(cycles),
            "read": statistics.median(reads), "counters": len(window),
            "surge_found": any(t["term"] == "digu ced nuit" for t in found),
            "trending": len(found)}


def main() -> None:
    window_signals = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    distinct = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
    with tempfile.TemporaryDirectory() as data:
        redis = EmbeddedRedis(Path(data))
        redis.start()
        try:
            figures = asyncio.run(run(redis.url, window_signals, distinct))
        finally:
            redis.stop()
    print(f"{platform.node()} {platform.python_version()} {window_signals:,} signals in the "
          f"{WINDOW_MIN}-minute window, {distinct:,} distinct, {figures['counters']:,} "
          f"(scope, gram) counters a minute")
    print(f"read the window's hashes (baseline) {figures['read']:>8.3f} s")
    print(f"trend cycle (steady, median of {ROUNDS}) {figures['cycle']:>8.3f} s  "
          f"({figures['cycle'] / figures['read']:.2f} x baseline)")
    print(f"first cycle (rolls {CATCH_UP_MIN} minutes)  {figures['catch_up']:>8.3f} s")
    print(f"trending found: {figures['trending']}; the surging phrase among them: "
          f"{figures['surge_found']}")


if __name__ == "__main__":
    main()
