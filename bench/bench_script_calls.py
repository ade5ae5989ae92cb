"""The contact centre's Lua script calls: an inbound message stored, a conversation queued and
given out, per call, against a bare script call measured in the same run.

    python bench/bench_script_calls.py [--rounds 3]

Starts an embedded Redis and times, through the real objects (ConversationStore, Router):
  - receive from new senders (each opens a conversation), from 64 senders writing again
    (their conversation is open), and from senders whose conversation this process has no
    hint of (the store's hint reset every 32 calls, 32 calls at once: the worst case);
  - assign with nobody available; enqueue + assign with 20 operators signed in (one with
    room); assign with 20 operators, none with room, and 500 conversations queued (the
    script reads every operator for every conversation);
and, as the baseline, a bare one-key script on a pipelined connection (`return 1`), called
32 at once (the receive figures' baseline) and one at a time (the router's).
Each figure is the median of the rounds, per call: wall time, this process's CPU, and Redis's
own time (INFO commandstats, all commands summed). To compare two versions of the code, run
the script from each checkout: it imports the tree it lives in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.keys import ChannelKeys  # noqa: E402
from channels.pipelined_script import PipelinedScript  # noqa: E402
from channels.router import Router, skill_of  # noqa: E402
from channels.store import ConversationStore  # noqa: E402
from crisis.events import EventBus  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from crisis.types import ChannelKind, InboundMessage, OperatorStatus, utcnow  # noqa: E402

Figures = tuple[float, float, float]  # wall, CPU, Redis: microseconds per call


def sms(sender: int, number: int) -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address=f"+336{sender:08d}", text="bonjour",
                          provider_id=f"SM{number:030d}", received_at=utcnow())


async def timed(client: Any, call: Callable[[int], Awaitable[object]], total: int,
                concurrency: int) -> Figures:
    await client.config_resetstat()
    wall, cpu, done = time.perf_counter(), time.process_time(), 0
    while done < total:
        await asyncio.gather(*(call(done + i) for i in range(concurrency)))
        done += concurrency
    stats = await client.info("commandstats")
    return ((time.perf_counter() - wall) / done * 1e6, (time.process_time() - cpu) / done * 1e6,
            sum(v["usec"] for v in stats.values()) / done)


async def one_round(client: Any, keys: Keys, offset: int) -> dict[str, Figures]:
    channel_keys = ChannelKeys(keys)
    store = ConversationStore(client, channel_keys, EventBus(client, keys), b"bench-secret")
    bare = PipelinedScript(client, "return 1")
    figures = {"baseline: bare script, 32 at once": await timed(
        client, lambda i: bare([keys.prefix + "bare"], []), 4096, 32),
        "baseline: bare script, one at a time": await timed(
        client, lambda i: bare([keys.prefix + "bare"], []), 1024, 1)}
    figures["receive, new senders"] = await timed(
        client, lambda i: store.receive(sms(offset + i, offset + i)), 4096, 32)
    figures["receive, 64 senders again"] = await timed(
        client, lambda i: store.receive(sms(offset + i % 64, offset + 100_000 + i)), 4096, 32)

    async def no_hint(i: int) -> object:
        if i % 32 == 0 and hasattr(store, "_hints"):
            store._hints = type(store._hints)()  # noqa: SLF001 - what a fresh process knows
        return await store.receive(sms(offset + i % 32, offset + 200_000 + i))
    figures["receive, no hint (worst)"] = await timed(client, no_hint, 2048, 32)

    router = Router(client, channel_keys)
    figures["assign, nobody available"] = await timed(client, lambda i: router.assign(), 1024, 1)
    for number in range(20):
        await router.set_operator(f"op{number}", OperatorStatus.AVAILABLE,
                                  capacity=100_000 if number == 0 else 0)

    async def queue_and_assign(i: int) -> object:
        await router.enqueue(f"r{offset}-{i}", skill_of("fr", ChannelKind.SMS))
        return await router.assign()
    figures["enqueue + assign, 20 operators"] = await timed(client, queue_and_assign, 512, 1)
    await router.set_operator("op0", OperatorStatus.AVAILABLE, capacity=0)
    for number in range(500):
        await router.enqueue(f"q{offset}-{number}", skill_of("fr", ChannelKind.SMS))
    figures["assign, 20 full operators, 500 queued"] = await timed(
        client, lambda i: router.assign(), 32, 1)
    return figures


async def run(url: str, rounds: int) -> None:
    client = async_redis(url)
    results = [await one_round(client, Keys(f"bench{n}:"), n * 1_000_000) for n in range(rounds)]
    await client.aclose()
    medians = {name: [statistics.median(r[name][i] for r in results) for i in range(3)]
               for name in results[0]}
    together = medians["baseline: bare script, 32 at once"][0]
    alone = medians["baseline: bare script, one at a time"][0]
    print(f"{rounds} rounds; medians per call in microseconds (wall / this process's CPU / "
          "Redis), and wall time as a ratio to the bare script called the same way")
    for name, (wall, cpu, spent) in medians.items():
        base = together if name.startswith(("receive", "baseline: bare script, 32")) else alone
        print(f"  {name:40} {wall:9.1f} / {cpu:7.1f} / {spent:9.1f}   x{wall / base:7.1f}")
    print(json.dumps(medians))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-scripts-"))
    server = EmbeddedRedis(data)
    server.start()
    try:
        asyncio.run(run(server.url, args.rounds))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
