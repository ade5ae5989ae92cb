"""Inbound SMS webhook throughput and latency, against a bare aiohttp handler, in one run.

    python bench/bench_sms_webhook.py [--seconds 8] [--concurrency 32]

Starts an embedded Redis, then (one at a time, each in its own process on a free port):
  1. baseline: a bare aiohttp app whose handler answers 200 to any POST;
  2. ours: `crisis web` with Twilio on, the real /hooks/twilio/sms (signature check, dedupe,
     persist, event for the background pipeline, empty TwiML).
The load comes from a separate process (aiohttp client, signed Twilio forms, a new
MessageSid per request). Prints requests/s of both and the ratio, then p50/p99 latency of
ours at half its max rate, then checks that every acknowledged message was persisted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis.redis_server import EmbeddedRedis  # noqa: E402

TOKEN = "bench-auth-token"
PUBLIC = "https://bench.example"
BARE = """
from aiohttp import web
async def ok(request):
    await request.post()
    return web.Response(text="<Response></Response>", content_type="text/xml")
app = web.Application(); app.router.add_post("/hooks/twilio/sms", ok)
web.run_app(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def form(n: int, body: str = "ou trouver de l'eau potable") -> tuple[dict[str, str], dict[str, str]]:
    data = {"MessageSid": f"SM{os.getpid():06d}{n:026d}", "AccountSid": "AC" + "0" * 32,
            "From": f"+336{n % 100_000_000:08d}", "To": "+33700000000",
            "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/hooks/twilio/sms", data)
    return {"X-Twilio-Signature": signature}, data


async def _load(url: str, seconds: float, concurrency: int, rate: float | None,
                offset: int) -> tuple[int, list[float]]:
    latencies: list[float] = []
    sent = 0
    deadline = time.perf_counter() + seconds
    interval = concurrency / rate if rate else 0.0
    async with aiohttp.ClientSession() as session:
        async def worker(index: int) -> None:
            nonlocal sent
            n = offset + index * 10_000_000
            next_at = time.perf_counter()
            while time.perf_counter() < deadline:
                headers, data = form(n)
                n += 1
                started = time.perf_counter()
                async with session.post(url, data=data, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)
                sent += 1
                if interval:
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return sent, latencies


def load(url: str, seconds: float, concurrency: int, rate: float | None, offset: int,
         out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put(asyncio.run(_load(url, seconds, concurrency, rate, offset)))


def run_load(url: str, seconds: float, concurrency: int, rate: float | None = None,
             offset: int = 0) -> tuple[int, list[float]]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=load, args=(url, seconds, concurrency, rate,
                                                         offset, queue))
    process.start()
    result = queue.get(timeout=seconds + 120)
    process.join()
    return result  # type: ignore[no-any-return]


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    redis = EmbeddedRedis(data)
    redis.start()
    try:
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(port)])
        wait_listening(port)
        base_sent, _ = run_load(f"http://127.0.0.1:{port}/hooks/twilio/sms", args.seconds,
                                args.concurrency)
        bare.terminate()
        bare.wait()
        base_rate = base_sent / args.seconds

        port = free_port()
        env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
               "CRISIS_DATA_DIR": str(data), "CRISIS_PUBLIC_URL": PUBLIC,
               "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_API_BASE": "http://127.0.0.1:9", "CRISIS_LOG_LEVEL": "warning",
               "CRISIS_REDIS_PREFIX": "bench:"}
        web = subprocess.Popen([sys.executable, "-m", "crisis", "web"], env=env, cwd=data)
        wait_listening(port)
        url = f"http://127.0.0.1:{port}/hooks/twilio/sms"
        ours_sent, _ = run_load(url, args.seconds, args.concurrency, offset=1)
        ours_rate = ours_sent / args.seconds
        half_sent, latencies = run_load(url, args.seconds, args.concurrency,
                                        rate=ours_rate / 2, offset=2)
        web.terminate()
        web.wait()
        import redis as redis_py
        client = redis_py.Redis(unix_socket_path=str(redis.socket_path), decode_responses=True)
        stored = sum(client.llen(key) for key in client.scan_iter("bench:ch:{c:*}:messages"))
        inbound = sum(1 for key in client.scan_iter("bench:ch:seen:sms:*"))
        latencies.sort()
        print(f"bare aiohttp handler: {base_rate:8.0f} req/s")
        print(f"inbound SMS webhook:  {ours_rate:8.0f} req/s   ratio {ours_rate / base_rate:.2f} "
              f"(goal >= 0.5)")
        print(f"at half rate ({ours_rate / 2:.0f} req/s): p50 "
              f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
              f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")
        print(f"acknowledged {ours_sent + half_sent}, persisted {inbound} distinct "
              f"MessageSids ({stored} messages incl. automatic replies)")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
