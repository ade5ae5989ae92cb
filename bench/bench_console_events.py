"""Inbound message to operator console event, with 200 operators connected, in one run.

    python bench/bench_console_events.py [--operators 200] [--messages 100] [--rate 5]

Starts an embedded Redis and the centre as `crisis up` runs it: one `crisis web --no-events`
process with Twilio on and one `crisis worker --events` (the pipeline); `--pipeline-in-web`
runs the pipeline inside the web process instead. 200 operator consoles open their live
socket (/console/ws). Then citizens send SMS asking for a person, at a steady rate; each
message goes webhook -> store -> event stream -> pipeline -> queue -> live event -> every
console. Prints p50/p99 of the time from the webhook call to the event on each console
(200 x messages deliveries), beside the p50/p99 of a bare `GET /healthz` on the same server
in the same run (the baseline), and where the time goes: the webhook's answer, the pipeline
(answer -> first console) and the fan-out (first -> last console of one message, which
includes the load generator reading 200 sockets in one Python process).

A console's arrival time is taken as its frame is read, before it is decoded, so the
client's own JSON work is not counted; every frame is still decoded and checked.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sms_webhook import (  # noqa: E402
    TOKEN, form, free_port, wait_consuming, wait_listening,
)
from crisis.accounts import Accounts  # noqa: E402
from crisis.events import EventBus  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from crisis.types import Principal, Role  # noqa: E402

SECRET = "bench-secret-key"
PREFIX = "bconsole:"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def sessions(url: str, count: int) -> list[str]:
    client = async_redis(url)
    keys = Keys(PREFIX)
    accounts = Accounts(client, keys, SECRET.encode(), EventBus(client, keys))
    cookies = [(await accounts.open_session(Principal(f"op{i}", Role.OPERATOR), 1))[0]
               for i in range(count)]
    await client.aclose()
    return cookies


async def measure(base: str, cookies: list[str], messages: int, rate: float) -> None:
    sent_at: list[float] = []
    answered_at: list[float] = []
    arrivals: list[list[float]] = [[] for _ in cookies]
    # No connection cap: each console holds one connection for the whole run.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets = [await http.ws_connect(f"{base}/console/ws",
                                         headers={"Cookie": f"crisis_session={cookie}"})
                   for cookie in cookies]

        async def listen(index: int, socket: aiohttp.ClientWebSocketResponse) -> None:
            mine = arrivals[index]
            async for message in socket:
                read_at = time.perf_counter()
                if json.loads(message.data).get("type") == "queued":
                    mine.append(read_at)
                    if len(mine) == messages:
                        return

        listeners = [asyncio.create_task(listen(i, s)) for i, s in enumerate(sockets)]
        # The load generator's own garbage-collection pauses are not the server's latency:
        # its 200 sockets and their buffers are set aside from the collector.
        gc.freeze()
        baseline: list[float] = []
        for n in range(messages):
            headers, data = form(n, "je veux parler a un conseiller")
            started = time.perf_counter()
            sent_at.append(started)
            async with http.post(f"{base}/hooks/twilio/sms", data=data, headers=headers) as r:
                assert r.status == 200, (r.status, await r.text())
            answered_at.append(time.perf_counter())
            probe = time.perf_counter()
            async with http.get(f"{base}/healthz") as r:
                await r.read()
            baseline.append(time.perf_counter() - probe)
            await asyncio.sleep(max(0.0, started + 1 / rate - time.perf_counter()))
        await asyncio.wait_for(asyncio.gather(*listeners), 60)
        for socket in sockets:
            await socket.close()
    latencies = [arrival - sent_at[k] for per in arrivals for k, arrival in enumerate(per)]
    firsts = [min(per[k] for per in arrivals) for k in range(messages)]
    lasts = [max(per[k] for per in arrivals) for k in range(messages)]
    answer = [answered_at[k] - sent_at[k] for k in range(messages)]
    pipeline = [firsts[k] - answered_at[k] for k in range(messages)]
    spread = [lasts[k] - firsts[k] for k in range(messages)]
    print(f"{len(cookies)} consoles, {messages} messages at {rate}/s: "
          f"{len(latencies)} console events")
    print(f"webhook -> console event: p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms (goal p99 < 100 ms)")
    for name, values in (("webhook answer", answer), ("answer -> 1st console", pipeline),
                         ("1st -> 200th console", spread)):
        print(f"  {name:<22} p50 {statistics.median(values) * 1000:6.1f} ms, "
              f"p99 {percentile(values, 0.99) * 1000:6.1f} ms")
    print(f"baseline GET /healthz:    p50 {statistics.median(baseline) * 1000:.1f} ms, "
          f"p99 {percentile(baseline, 0.99) * 1000:.1f} ms; ratio of p99s "
          f"{percentile(latencies, 0.99) / percentile(baseline, 0.99):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--pipeline-in-web", action="store_true",
                        help="run the event consumers inside the web process (old model)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-console-"))
    redis = EmbeddedRedis(data)
    redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
           "CRISIS_DATA_DIR": str(data), "CRISIS_PUBLIC_URL": "https://bench.example",
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_API_BASE": "http://127.0.0.1:9", "CRISIS_LOG_LEVEL": "warning",
           "CRISIS_REDIS_PREFIX": PREFIX, "CRISIS_SECRET_KEY": SECRET}
    web = subprocess.Popen([sys.executable, "-m", "crisis", "web",
                            *([] if args.pipeline_in_web else ["--no-events"])], env=env, cwd=data)
    events = None if args.pipeline_in_web else subprocess.Popen(
        [sys.executable, "-m", "crisis", "worker", "--events"], env=env, cwd=data)
    try:
        wait_listening(port)
        import redis as redis_py
        client = redis_py.Redis(unix_socket_path=str(redis.socket_path), decode_responses=True)
        wait_consuming(client, f"{PREFIX}events", "channels-inbound")  # the pipeline is up
        cookies = asyncio.run(sessions(redis.url, args.operators))
        asyncio.run(measure(base, cookies, args.messages, args.rate))
    finally:
        for process in (web, events):
            if process is not None:
                process.terminate()
                process.wait()
        redis.stop()


if __name__ == "__main__":
    main()
