"""How fast `crisis audit archive` copies the audit trail to files, against reading it alone.

    python bench/bench_audit_archive.py [--entries 200000] [--rounds 3]

On an embedded Redis of its own, fills the trail with `--entries` entries shaped like the
commonest one (an operator reading a conversation), then, each round, times:
  - baseline: reading the whole trail with XRANGE, 1,000 at a time, as the archive does,
    writing nothing (the archive cannot be faster);
  - the archive: the same read, each entry written to its day file, fsync'd once a file.
Prints entries a second, the ratio to the baseline, Redis's bytes an entry, the bytes a line on
disk and the process's peak memory (which must not grow with the trail).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402

from crisis.audit import add_audit, audit_entry  # noqa: E402
from crisis.audit_archive import archive, entries_after  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from crisis.types import Principal, Role  # noqa: E402


async def fill(redis: aioredis.Redis, keys: Keys, entries: int) -> None:
    reader = Principal("operator12", Role.OPERATOR, "session")
    for start in range(0, entries, 5_000):
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(start, min(start + 5_000, entries)):
                add_audit(pipe, keys, audit_entry(reader, "conversation.read", f"c-20261203-{i:07d}"))
            await pipe.execute()


async def read_all(redis: aioredis.Redis, keys: Keys) -> int:
    count = 0
    async for page in entries_after(redis, keys, None):
        count += len(page)
    return count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    server = EmbeddedRedis(home / "var")
    server.start()
    redis = aioredis.from_url(server.url, decode_responses=True)
    keys = Keys("bench:")
    try:
        await fill(redis, keys, args.entries)
        per_entry = int(await redis.memory_usage(keys.audit, samples=0) or 0) / args.entries
        reads, archives, line_bytes = [], [], 0.0
        for n in range(args.rounds):
            start = time.perf_counter()
            assert await read_all(redis, keys) == args.entries
            reads.append(time.perf_counter() - start)
            folder = home / f"archive-{n}"
            start = time.perf_counter()
            report = await archive(redis, keys, folder)
            archives.append(time.perf_counter() - start)
            assert report.written == args.entries
            line_bytes = sum(p.stat().st_size for p in folder.iterdir()) / args.entries
            shutil.rmtree(folder)
            print(f"round {n + 1}: read {args.entries / reads[-1]:>10,.0f} entries/s   "
                  f"archive {args.entries / archives[-1]:>10,.0f} entries/s")
        read, written = statistics.median(reads), statistics.median(archives)
        print(f"median: read (baseline) {args.entries / read:,.0f} entries/s, archive "
              f"{args.entries / written:,.0f} entries/s, ratio {read / written:.2f}")
        print(f"{args.entries:,} entries; Redis {per_entry:.0f} bytes an entry; {line_bytes:.0f} bytes "
              f"a line on disk; peak memory of this process "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        await redis.aclose()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
