"""Telegram updates per second through the real webhook, against the SMS webhook, one run.

    python bench/bench_telegram_webhook.py [--seconds 3] [--rounds 3] [--concurrency 32]

Starts an embedded Redis and `crisis web --no-events` with Twilio and Telegram on, then loads
in alternating rounds (so the machine's other load weighs on both alike), from a separate
process with the same number of connections:
  1. baseline: POST /hooks/twilio/sms, signed forms, a new MessageSid each;
  2. ours: POST /hooks/telegram, Bot API updates with the webhook secret, a new update_id each.
Both verify, parse (python-telegram-bot's Update.de_json for Telegram), check the sender's
limit, store and acknowledge. Prints requests/s of each and the ratio Telegram / SMS, and
checks that every acknowledged update was stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
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
from testbed.ports import free_port, wait_listening  # noqa: E402

PUBLIC = "https://bench.example"
TOKEN = "bench-twilio-token"
SECRET = "bench-telegram-secret"


def sms(n: int) -> tuple[dict[str, str], dict[str, str]]:
    form = {"MessageSid": f"SM{n:032d}", "From": f"+3361{n % 10_000_000:07d}",
            "To": "+33700000000", "Body": "peut on boire l'eau du robinet", "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/hooks/twilio/sms", form)
    return {"X-Twilio-Signature": signature}, form


def update(n: int) -> bytes:
    return json.dumps({"update_id": n, "message": {
        "message_id": n, "date": int(time.time()), "text": "peut on boire l'eau du robinet",
        "chat": {"id": 100_000 + n % 10_000_000, "type": "private"},
        "from": {"id": 100_000 + n % 10_000_000, "is_bot": False, "first_name": "A",
                 "language_code": "fr"}}}).encode()


async def _load(kind: str, url: str, seconds: float, concurrency: int, offset: int) -> int:
    done = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def worker(index: int) -> None:
            nonlocal done
            n = offset + index
            while time.monotonic() < deadline:
                if kind == "sms":
                    headers, form = sms(n)
                    response = await http.post(url, data=form, headers=headers)
                else:
                    response = await http.post(url, data=update(n), headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert response.status == 200, await response.text()
                await response.read()
                done += 1
                n += concurrency
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done


def _run(kind: str, url: str, seconds: float, concurrency: int, offset: int,
         out: multiprocessing.queues.Queue) -> None:  # type: ignore[name-defined]
    out.put(asyncio.run(_load(kind, url, seconds, concurrency, offset)))


def load(kind: str, url: str, seconds: float, concurrency: int, offset: int) -> int:
    out: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_run, args=(kind, url, seconds, concurrency,
                                                         offset, out))
    process.start()
    done = out.get()
    process.join()
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-telegram-"))
    redis = EmbeddedRedis(data)
    redis.start()
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
           "CRISIS_DATA_DIR": str(data), "CRISIS_PUBLIC_URL": PUBLIC,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_API_BASE": "http://127.0.0.1:9", "TELEGRAM_BOT_TOKEN": "1:bench",
           "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": "http://127.0.0.1:9",
           "CRISIS_LOG_LEVEL": "error", "CRISIS_REDIS_PREFIX": "bench:",
           # One sender per request in both cases: the per-sender limit is not what is measured.
           "CRISIS_SMS_MESSAGES_PER_NUMBER_PER_MINUTE": "100000"}
    web = subprocess.Popen([sys.executable, "-m", "crisis", "web", "--no-events"], env=env,
                           cwd=data, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        base = f"http://127.0.0.1:{port}"
        totals = {"sms": 0, "telegram": 0}
        ratios = []
        for number in range(args.rounds):
            offset = (number + 1) * 10_000_000
            rates = {kind: load(kind, base + path, args.seconds, args.concurrency, offset)
                     / args.seconds
                     for kind, path in (("sms", "/hooks/twilio/sms"),
                                        ("telegram", "/hooks/telegram"))}
            for kind, value in rates.items():
                totals[kind] += round(value * args.seconds)
            ratios.append(rates["telegram"] / rates["sms"])
            print(f"round {number + 1}: SMS {rates['sms']:,.0f}/s (baseline), "
                  f"Telegram {rates['telegram']:,.0f}/s, ratio {ratios[-1]:.2f}")
        import redis as redis_py
        client = redis_py.Redis(unix_socket_path=str(redis.socket_path), decode_responses=True)
        stored = client.zcard("bench:ch:conversations")
        print(f"median ratio Telegram / SMS webhook: **{statistics.median(ratios):.2f}**; "
              f"acknowledged {sum(totals.values()):,}, conversations stored {stored:,}")
    finally:
        web.terminate()
        web.wait()
        redis.stop()


if __name__ == "__main__":
    main()
