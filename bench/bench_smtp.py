"""E-mails accepted per second by our SMTP listener, against a sink that stores nothing.

    python bench/bench_smtp.py [--messages 2000] [--concurrency 16] [--rounds 2]

Starts an embedded Redis, then in alternating rounds one server process at a time:
  1. baseline: an aiosmtpd server that accepts every message and keeps nothing
     (testbed/smtp_sink.py, record=False): the cost of SMTP itself in aiosmtpd;
  2. ours: `crisis smtp`'s listener (channels/email/service.py) over a real Redis
     ConversationStore: each message parsed, rate-limited per sender, stored, announced.
The client (aiosmtplib, in this process) keeps `--concurrency` connections open and sends
`--messages` distinct citizens' mails per round (a plain-text question with an HTML twin, as
mail programs send them). Prints messages/s of each, the ratio, and checks that every
message of our rounds became one stored conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testbed.ports import free_port, wait_listening  # noqa: E402
from channels.keys import ChannelKeys  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402

TO = "contact@crise.example.gouv.fr"
PREFIX = "bench-smtp:"
SINK = """
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from testbed.smtp_sink import SmtpSink
async def main():
    sink = SmtpSink(record=False)
    await sink.start_on(int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""
OURS = """
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from crisis.context import open_context
from crisis.settings import load_settings
from channels.email.service import serve_mail
env = {"REDIS_URL": sys.argv[3], "CRISIS_REDIS_PREFIX": sys.argv[4],
       "CRISIS_SECRET_KEY": "bench-secret-key", "CRISIS_MAIL_ACCEPT": sys.argv[5],
       "CRISIS_SMTP_LISTEN": "127.0.0.1:" + sys.argv[1], "CRISIS_LOG_LEVEL": "warning",
       "CRISIS_MAIL_MESSAGES_PER_ADDRESS_PER_MINUTE": "1000000"}
async def main():
    ctx = open_context(load_settings(env), env["REDIS_URL"])
    await serve_mail(ctx, asyncio.Event())
asyncio.run(main())
"""


def citizen_mail(round_no: int, number: int) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Citoyen {number} <citoyen{round_no}-{number}@example.fr>"
    mail["To"] = TO
    mail["Subject"] = "Eau potable à Lyon ?"
    mail["Message-ID"] = f"<r{round_no}-{number}@example.fr>"
    mail.set_content("Bonjour,\nPeut-on boire l'eau du robinet à Lyon 3e ?\nMerci\n")
    mail.add_alternative("<p>Bonjour,<br>Peut-on boire l'eau du robinet à Lyon 3e ?</p>",
                         subtype="html")
    return mail


async def blast(port: int, round_no: int, messages: int, concurrency: int) -> float:
    """Messages accepted per second over `concurrency` open connections."""
    mails = [citizen_mail(round_no, n) for n in range(messages)]
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port) for _ in range(concurrency)]
    await asyncio.gather(*(c.connect() for c in clients))

    async def one_connection(client: aiosmtplib.SMTP, share: list[EmailMessage]) -> None:
        for mail in share:
            await client.send_message(mail)

    started = time.perf_counter()
    await asyncio.gather(*(one_connection(c, mails[i::concurrency])
                           for i, c in enumerate(clients)))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.quit() for c in clients))
    return messages / elapsed


def serve(script: str, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", script, str(port), str(ROOT), *args])
    wait_listening(port)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as data:
        embedded = EmbeddedRedis(Path(data))
        embedded.start()
        try:
            results: dict[str, list[float]] = {"sink": [], "ours": []}
            for round_no in range(args.rounds):
                for name, script, extra in (("sink", SINK, ()),
                                            ("ours", OURS, (embedded.url, PREFIX, TO))):
                    process, port = serve(script, *extra)
                    try:
                        rate = asyncio.run(blast(port, round_no, args.messages,
                                                 args.concurrency))
                    finally:
                        process.terminate()
                        process.wait(10)
                    results[name].append(rate)
                    print(f"round {round_no + 1} {name:<5} {rate:8.0f} messages/s", flush=True)
            client = redis.Redis.from_url(embedded.url)
            stored = int(client.zcard(ChannelKeys(Keys(PREFIX)).conversations))
            client.close()
        finally:
            embedded.stop()
    sink, ours = max(results["sink"]), max(results["ours"])
    print(f"\nbest of {args.rounds}: sink {sink:.0f}/s, ours {ours:.0f}/s, "
          f"ratio ours/sink {ours / sink:.2f} ({args.messages} messages, "
          f"{args.concurrency} connections, {os.cpu_count()} cores)")
    expected = args.messages * args.rounds
    print(f"stored conversations: {stored} of {expected} sent to ours")
    if stored != expected:
        raise SystemExit("some messages were not stored once")


if __name__ == "__main__":
    main()
