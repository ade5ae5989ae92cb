"""The SMS webhook with Redis down: spooled only, against spooled and answered at once.

    python bench/bench_degraded_webhook.py [--requests 400] [--rounds 3] [--concurrency 16]

Starts a Redis server of its own (testbed/redis_sentinel.py), the whole application in this
process (aiohttp on a loopback port, Twilio on), imports the flood knowledge base, waits until
the web process holds its index in memory, then stops Redis. In alternating rounds, the same
client (in this process too, so both phases carry its cost alike) posts `--requests` signed
SMS, each from its own number:
  1. baseline: a question the knowledge base is not sure of: spooled (fsync) and
     acknowledged with empty TwiML, as before degraded mode;
  2. ours: a question it is sure of: the decision from memory (channels/degraded.py), the
     spool, and the answer in the TwiML.
Prints requests/s and p50/p99 of both and the ratio; checks every answer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels import DEGRADED  # noqa: E402
from crisis.app import build_app  # noqa: E402
from crisis.context import open_context  # noqa: E402
from crisis.settings import load_settings  # noqa: E402
from crisis.types import Principal, Role  # noqa: E402
from knowledge_base.article import parse_article_lines  # noqa: E402
from knowledge_base.importing import import_articles  # noqa: E402
from knowledge_base.store import ArticleStore  # noqa: E402
from knowledge_base.tooling.calibration_sets import DATA  # noqa: E402
from testbed.ports import free_port  # noqa: E402
from testbed.redis_sentinel import RedisProcess  # noqa: E402

TOKEN = "bench-auth-token"
PUBLIC = "https://bench.example"
SURE = "leau du robinet est potable ?"
UNSURE = "quel est le score du match de rugby hier soir ?"
BENCH = Principal("bench", Role.ADMIN, "bench")


def signed(n: int, body: str) -> tuple[dict[str, str], dict[str, str]]:
    data = {"MessageSid": f"SMdeg{n:028d}", "AccountSid": "AC" + "0" * 32,
            "From": f"+336{n:08d}", "To": "+33700000000", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/hooks/twilio/sms", data)
    return {"X-Twilio-Signature": signature}, data


async def phase(url: str, first: int, count: int, concurrency: int, body: str,
                answered: bool) -> tuple[float, list[float]]:
    """Requests/s and latencies of `count` signed SMS; each answer checked."""
    numbers = iter(range(first, first + count))
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:
        async def worker() -> None:
            for n in numbers:
                headers, data = signed(n, body)
                started = time.perf_counter()
                async with http.post(url, data=data, headers=headers) as response:
                    text = await response.text()
                latencies.append(time.perf_counter() - started)
                assert response.status == 200, text
                assert ("<Message>" in text) is answered, text
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started), latencies


async def main(requests: int, rounds: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisProcess(Path(tmp) / "redis")
        await asyncio.to_thread(redis.start)
        port = free_port()
        settings = load_settings({
            "CRISIS_DATA_DIR": f"{tmp}/var", "CRISIS_SECRET_KEY": "bench-secret-key-0123456789",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM": "+33700000000", "TWILIO_API_BASE": "http://127.0.0.1:9",
            "CRISIS_PUBLIC_URL": PUBLIC, "CRISIS_LOG_LEVEL": "error"})
        ctx = open_context(settings, redis.url)
        lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
        await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus),
                              parse_article_lines(lines), actor=BENCH)
        await ctx.close()
        app = build_app(settings, redis.url, consume_events=False)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            deadline = time.monotonic() + 20
            while not app[DEGRADED].holds():
                assert time.monotonic() < deadline, "the index was never held"
                await asyncio.sleep(0.05)
            await asyncio.to_thread(redis.stop)
            url = f"http://127.0.0.1:{port}/hooks/twilio/sms"
            results: dict[str, list[tuple[float, list[float]]]] = {"spooled": [], "answered": []}
            n = 0
            for round_number in range(rounds):
                order = [("spooled", UNSURE, False), ("answered", SURE, True)]
                for name, body, answered in order if round_number % 2 == 0 else order[::-1]:
                    results[name].append(await phase(url, n, requests, concurrency, body,
                                                     answered))
                    n += requests
        finally:
            await runner.cleanup()
    rates = {name: statistics.median(r for r, _ in runs) for name, runs in results.items()}
    for name, runs in results.items():
        latencies = sorted(x for _, lat in runs for x in lat)
        print(f"{name:>9}: {rates[name]:7.0f} req/s (median of {rounds}), "
              f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    print(f"answered at once / spooled only: {rates['answered'] / rates['spooled']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds, args.concurrency))
