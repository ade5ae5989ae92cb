"""Benchmark: the watch's intake, signals ingested and normalised per second on one process,
against a baseline measured in the same run: a plain XADD of the same raw lines.

Three measures over the same N generated signal lines (SMS-like and headline-like French,
some English, places, keywords, a rumour), on an embedded Redis:
- baseline: XADD of each raw line to a stream, pipelined by 1,000 (what the intake costs at least);
- bare reader: the same lines read back through a consumer group in the normaliser's batch
  size and acknowledged, nothing else (what the normaliser costs at least);
- intake: the lines validated (parse_signal_line) and written by add_signals;
- normalise: the normaliser's batches (read, language, terms, area, sentiment, matches,
  counts, acknowledgement, and the trending terms' tally with its flushes) until the stream
  is drained.

Usage: python bench/bench_watch_intake.py [N]   (default 20,000)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from monitoring.intake import BATCH, add_signals, ensure_group, normalise_once  # noqa: E402
from monitoring.keys import WatchKeys  # noqa: E402
from monitoring.language import detect_language  # noqa: E402
from monitoring.signal import parse_signal_line  # noqa: E402
from monitoring.watchlist import Claim, Rumours  # noqa: E402

try:  # the trending terms' tally (absent before it existed: the bench runs on older commits)
    from monitoring.term_store import TermTally  # noqa: E402
except ImportError:  # pragma: no cover
    TermTally = None  # type: ignore[assignment,misc]

TEXTS = ["inondation a {p}, le pont est fermé", "plus d'électricité depuis hier soir à {p}",
         "Crue de la Loire : la préfecture de {p} appelle à la prudence",
         "on dit que le barrage va céder cette nuit", "merci aux pompiers de {p}, très efficaces",
         "peut on boire l'eau du robinet à {p} ?", "is the tap water safe to drink in {p}",
         "Coupure d'eau prévue rue Pasteur, {p}", "c'est scandaleux personne ne répond"]
PLACES = ["Nantes", "Tours", "Paris", "Lyon", "Bordeaux", "Angers", "Orléans", "Blois", "Saumur"]


def lines(n: int) -> list[bytes]:
    rng = random.Random(16)
    now = dt.datetime.now(dt.timezone.utc)
    out = []
    for i in range(n):
        text = rng.choice(TEXTS).format(p=rng.choice(PLACES)) + f" #{i}"
        out.append(json.dumps({"source": rng.choice(["social", "rss", "contact"]),
                               "time": (now - dt.timedelta(seconds=rng.randint(0, 3600))).isoformat(),
                               "text": text}, ensure_ascii=False).encode())
    return out


async def run(url: str, n: int) -> dict[str, float]:
    redis = async_redis(url)
    keys = WatchKeys(Keys("bench:"))
    raw = lines(n)
    await redis.delete("bench:baseline")
    start = time.perf_counter()
    for i in range(0, n, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for line in raw[i:i + 1000]:
                pipe.xadd("bench:baseline", {"s": line})
            await pipe.execute()
    baseline = n / (time.perf_counter() - start)
    await redis.xgroup_create("bench:baseline", "bare", id="0")
    start = time.perf_counter()
    read = 0
    while read < n:
        batch = cast(list[tuple[str, list[tuple[str, dict[str, str]]]]], await redis.xreadgroup(
            "bare", "bench", {"bench:baseline": ">"}, count=BATCH))
        ids = [entry_id for _stream, items in batch for entry_id, _fields in items]
        await redis.xack("bench:baseline", "bare", *ids)
        read += len(ids)
    reader = n / (time.perf_counter() - start)
    await redis.hset("bench:watch:keywords", "c", json.dumps(["inondation", "crue", "coupure"]))
    await Rumours(redis, keys).put(Claim(id="barrage", claim="le barrage va céder"))
    start = time.perf_counter()
    for i in range(0, n, 1000):
        await add_signals(redis, keys, [parse_signal_line(line) for line in raw[i:i + 1000]])
    intake = n / (time.perf_counter() - start)
    detect_language("préchauffage du détecteur")  # its models load once per process, not timed
    await ensure_group(redis, keys)
    start = time.perf_counter()
    done = 0
    tally = TermTally() if TermTally is not None else None
    while done < n:
        if tally is None:
            done += await normalise_once(redis, keys, "bench:watch:keywords", consumer="bench",
                                         block_ms=None)
            continue
        done += await normalise_once(redis, keys, "bench:watch:keywords", consumer="bench",
                                     block_ms=None, tally=tally)
        if tally.due():
            await tally.flush(redis, keys)
    if tally is not None:
        await tally.flush(redis, keys)
    normalised = n / (time.perf_counter() - start)
    await redis.flushdb()
    await redis.aclose()
    return {"baseline": baseline, "reader": reader, "intake": intake, "normalise": normalised}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as data:
        redis = EmbeddedRedis(Path(data))
        redis.start()
        try:
            figures = asyncio.run(run(redis.url, n))
        finally:
            redis.stop()
    print(f"{platform.node()} {platform.python_version()} {n} signals")
    print(f"baseline XADD of the raw line   {figures['baseline']:>9,.0f} /s")
    print(f"bare stream reader (XREADGROUP + XACK) {figures['reader']:>9,.0f} /s")
    print(f"intake (validate + XADD)        {figures['intake']:>9,.0f} /s  "
          f"({figures['intake'] / figures['baseline']:.2f} x baseline)")
    print(f"normalise (all steps, 1 proc)   {figures['normalise']:>9,.0f} /s  "
          f"({figures['normalise'] / figures['baseline']:.2f} x baseline, "
          f"{figures['normalise'] / figures['reader']:.3f} x bare reader)")


if __name__ == "__main__":
    main()
