"""Alert broadcasts: our sending ceiling per worker, pacing under a limit, recipients of 1M.

    python bench/bench_broadcast.py [--subscribers 4000] [--national 1000000]

Starts an embedded Redis and the Twilio stand-in of the tests (testbed/twilio.py, real HTTP
on loopback, in a process of its own), then measures three things, each against a baseline
taken in the same run:
  1. ceiling: one `crisis worker --burst` sends a broadcast to `--subscribers` SMS subscribers
     with no provider limit; baseline: the same number of SMS sent by the SMS adapter alone
     (`TwilioSms.send`, 16 at a time, no Redis, no jobs) to the same stand-in;
  2. pacing: the same with TWILIO_MESSAGES_PER_SECOND=100 and CRISIS_BROADCAST_SHARE=1.0:
     the rate sustained as a share of the limit (goal 90-100 %) and the busiest second, from
     the stand-in's own timestamps (never above the limit);
  3. recipients of a national broadcast to `--national` subscribers spread over the 101
     départements: our streamed snapshot (SSCAN + SADD in batches: Redis never blocked for
     long, memory bounded) vs Redis's own SUNIONSTORE of the same sets (which blocks Redis
     for its whole run); goal under 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.alerts.broadcasts import Broadcasts  # noqa: E402
from channels.alerts.subscriptions import Subscriptions  # noqa: E402
from channels.keys import ChannelKeys  # noqa: E402
from channels.sms.adapter import TwilioSms  # noqa: E402
from crisis.areas import DEPARTEMENTS  # noqa: E402
from crisis.context import open_context  # noqa: E402
from crisis.publication_file import parse_publication  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from crisis.settings import load_settings  # noqa: E402
from crisis.types import ChannelKind, OutboundMessage, Principal, Role  # noqa: E402
from testbed.ports import free_port, wait_listening  # noqa: E402

CELL = Principal("bench", Role.CELL, "bench")


def notice(n: int) -> str:
    return (f"---\ntitle: Alerte {n}\nid: alerte-{n}\narea: [75]\npush: true\n"
            "sms: Restez chez vous.\n---\nRestez chez vous.\n")


def stamps(port: int) -> list[float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/times") as response:
        return sorted(json.loads(response.read()))


async def subscribe(env: dict[str, str], count: int) -> None:
    ctx = open_context(load_settings(env), env["REDIS_URL"])
    subscriptions = Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)
    for start in range(0, count, 500):
        await asyncio.gather(*(subscriptions.subscribe("sms", f"+3361{n:07d}", ("75",),
                                                       source="bench")
                               for n in range(start, min(count, start + 500))))
    await ctx.close()


async def broadcast(env: dict[str, str], n: int) -> None:
    """Publish with push and create the broadcast as the web process would, then prepare it."""
    ctx = open_context(load_settings(env), env["REDIS_URL"])
    publication = await ctx.publications.publish_document(parse_publication(notice(n)), actor=CELL)
    broadcast_id, _ = await Broadcasts(ctx.redis, ChannelKeys(ctx.keys)).create(
        publication, "https://bench.example")
    await asyncio.to_thread(ctx.jobs.enqueue, "channels.alerts.sending.prepare_broadcast_job",
                            broadcast_id, queue="bulk", retries=0)
    await ctx.close()


def worker(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "crisis", "worker", "--burst"], env=env, check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def adapter_alone(env: dict[str, str], count: int) -> None:
    adapter = TwilioSms(load_settings(env))
    limit = asyncio.Semaphore(16)

    async def one(n: int) -> None:
        async with limit:
            await adapter.send(OutboundMessage(channel=ChannelKind.SMS, address=f"+3362{n:07d}",
                                               text="Restez chez vous.", conversation_id="b",
                                               message_id=str(n)))
    await asyncio.gather(*(one(n) for n in range(count)))
    await adapter.aclose()


def rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def national(env: dict[str, str], count: int) -> tuple[float, float]:
    ctx = open_context(load_settings(env), env["REDIS_URL"])
    keys = ChannelKeys(ctx.keys)
    areas = list(DEPARTEMENTS)
    for start in range(0, count, 20_000):  # set-up: members written directly, in pipelines
        async with ctx.redis.pipeline(transaction=False) as pipe:
            for n in range(start, min(count, start + 20_000)):
                pipe.sadd(keys.alert_area(areas[n % len(areas)], "sms"), f"c{n:09d}")
            await pipe.execute()
    publication = await ctx.publications.publish_document(parse_publication(
        "---\ntitle: National\nid: national\n---\nPartout.\n"), actor=CELL)
    broadcasts = Broadcasts(ctx.redis, keys)
    broadcast_id, _ = await broadcasts.create(publication, "https://bench.example", ("sms",))
    started = time.perf_counter()
    totals = await broadcasts.snapshot(broadcast_id)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    union = await ctx.redis.sunionstore("bench:union",
                                        [keys.alert_area(a, "sms") for a in areas])
    baseline = time.perf_counter() - started
    assert totals["sms"] == union >= count, (totals, union)
    await ctx.close()
    return ours, baseline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=4000)
    parser.add_argument("--national", type=int, default=1_000_000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    server = EmbeddedRedis(data)
    server.start()
    port = free_port()
    standin = subprocess.Popen([sys.executable, "-m", "testbed.twilio_server", str(port)],
                               cwd=ROOT)
    try:
        wait_listening(port)
        env = {**os.environ, "REDIS_URL": server.url, "CRISIS_DATA_DIR": str(data),
               "CRISIS_PUBLIC_URL": "https://bench.example", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
               "TWILIO_AUTH_TOKEN": "bench", "TWILIO_FROM": "+33700000000",
               "TWILIO_API_BASE": f"http://127.0.0.1:{port}", "CRISIS_LOG_LEVEL": "warning",
               "CRISIS_REDIS_PREFIX": "bench:", "TWILIO_MESSAGES_PER_SECOND": "100000",
               "CRISIS_BROADCAST_SHARE": "1.0"}
        asyncio.run(subscribe(env, args.subscribers))

        started = time.perf_counter()
        asyncio.run(adapter_alone(env, args.subscribers))
        alone = args.subscribers / (time.perf_counter() - started)
        stamps(port)
        asyncio.run(broadcast(env, 1))
        worker(env)
        ours = rate(stamps(port))
        print(f"ceiling, {args.subscribers} SMS, no provider limit, one worker:")
        print(f"  SMS adapter alone (baseline)   {alone:8.1f} SMS/s")
        print(f"  broadcast through the worker   {ours:8.1f} SMS/s  ratio {ours / alone:5.2f}")

        limited = {**env, "TWILIO_MESSAGES_PER_SECOND": "100"}
        asyncio.run(broadcast(limited, 2))
        worker(limited)
        times = stamps(port)
        per_second = collections.Counter(int(t) for t in times)
        busiest = max(per_second.values())
        whole = sorted(per_second)[1:-1]  # the first and last seconds are partial
        sustained = sum(per_second[s] for s in whole) / len(whole)
        print(f"pacing, limit 100 SMS/s (share 1.0), {len(times)} SMS:")
        print(f"  sustained {sustained:6.1f} SMS/s = {sustained:5.1f} % of the limit; "
              f"busiest second {busiest} (limit 100)")

        ours_s, union_s = asyncio.run(national(env, args.national))
        print(f"recipients of a national broadcast, {args.national:,} subscribers:")
        print(f"  SUNIONSTORE (baseline, blocks Redis)  {union_s:6.2f} s")
        print(f"  streamed snapshot (ours)              {ours_s:6.2f} s  "
              f"ratio {ours_s / union_s:5.2f} (goal under 5 s)")
    finally:
        standin.terminate()
        standin.wait()
        server.stop()


if __name__ == "__main__":
    main()
