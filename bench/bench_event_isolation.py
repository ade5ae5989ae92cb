"""A crisis event behind a flood of citizens' messages: how long until a crisis group has it.

    python bench/bench_event_isolation.py [--sms 50000] [--rounds 3]

Starts an embedded Redis, writes N `conversation.message_received` events the way the webhook
announces a flood of SMS that the events process has not caught up with, then one
`crisis.activated`, and times a fresh consumer of a group handling only crisis events (the
site builder, the alerts, the greetings are such groups) until it is handed the crisis event.
Baseline, in the same run: the same with no SMS event before it. Conversations' events have a
stream of their own (crisis/events.py), so the ratio should stay near 1 whatever N; with one
stream for everything the group had to read through the whole flood first (about 1 s per
50,000 events on the 2-core machine of docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis.events import EventBus, make_event  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402

GROUP_TYPES = ("crisis.activated",)


async def handed_after(url: str, flood: int) -> float:
    """Seconds until a crisis group's new consumer has the crisis event written after `flood`
    citizens' message events."""
    redis = async_redis(url)
    bus = EventBus(redis, Keys(f"iso{uuid.uuid4().hex[:8]}:"))
    await bus.ensure_group("site-builder", GROUP_TYPES)
    message = make_event("conversation.message_received", actor="citizen", subject="c")
    for start in range(0, flood, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(min(1000, flood - start)):
                bus.add_to(pipe, message)
            await pipe.execute()
    await bus.publish(make_event("crisis.activated", actor="cell", subject="k"))
    stop = asyncio.Event()

    async def handler(event: object) -> None:
        stop.set()

    started = time.perf_counter()
    await bus.consume("site-builder", handler, stop=stop, block_ms=100, types=GROUP_TYPES)
    elapsed = time.perf_counter() - started
    await redis.flushdb()
    await redis.aclose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sms", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        redis = EmbeddedRedis(Path(data))
        redis.start()
        try:
            alone, behind = [], []
            for _ in range(args.rounds):
                alone.append(asyncio.run(handed_after(redis.url, 0)))
                behind.append(asyncio.run(handed_after(redis.url, args.sms)))
        finally:
            redis.stop()
    a, b = statistics.median(alone), statistics.median(behind)
    print(f"crisis event to a crisis group, alone:                  {a * 1000:8.1f} ms")
    print(f"the same behind {args.sms:,} citizens' message events: {b * 1000:8.1f} ms")
    print(f"ratio {b / a:.2f} (goal: near 1, the flood does not delay crisis events)")


if __name__ == "__main__":
    main()
