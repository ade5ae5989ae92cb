"""Benchmark: Telegram updates parsed per second by TelegramBot.parse_inbound, against
TwilioSms.parse_inbound on the equivalent signed SMS form (the baseline, same run).

Both parse one citizen's question: Telegram checks its secret header, decodes the JSON and
builds python-telegram-bot's Update; Twilio checks the HMAC-SHA1 signature of the form and
normalises the phone number. No network: the adapters' parsing does no I/O.

Usage: python bench/bench_telegram_parse.py [--seconds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.sms.adapter import TwilioSms  # noqa: E402
from channels.telegram.adapter import TelegramBot  # noqa: E402
from crisis.ports import InboundRequest  # noqa: E402
from crisis.settings import load_settings  # noqa: E402
from testbed.telegram import TOKEN, message_update, webhook_headers  # noqa: E402

QUESTION = "Bonjour, l'eau du robinet est-elle encore potable à Nanterre après la crue ?"
PUBLIC_URL = "https://crisis.example.gouv.fr"
AUTH_TOKEN = "bench-auth-token"
SECRET = "bench-webhook-secret"


def telegram_case() -> Callable[[], object]:
    adapter = TelegramBot(load_settings({"TELEGRAM_BOT_TOKEN": TOKEN,
                                         "TELEGRAM_WEBHOOK_SECRET": SECRET}))
    request = InboundRequest(url=PUBLIC_URL + "/hooks/telegram", headers=webhook_headers(SECRET),
                             form={}, body=json.dumps(message_update(424242, QUESTION)).encode())
    return lambda: adapter.parse_inbound(request)


def twilio_case() -> Callable[[], object]:
    adapter = TwilioSms(load_settings({"TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                                       "TWILIO_AUTH_TOKEN": AUTH_TOKEN}))
    url = PUBLIC_URL + "/hooks/twilio/sms"
    form = {"MessageSid": "SM" + "1" * 32, "SmsSid": "SM" + "1" * 32,
            "AccountSid": "AC" + "0" * 32, "From": "+33612345678", "To": "+33700000000",
            "Body": QUESTION, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    request = InboundRequest(url=url, headers={"X-Twilio-Signature": signature}, form=form)
    return lambda: adapter.parse_inbound(request)


def rate(parse: Callable[[], object], seconds: float) -> float:
    """Parses per second over about `seconds`, in batches so the clock costs little."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            parse()
        count += 200
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    telegram, twilio = telegram_case(), twilio_case()
    assert telegram() and twilio()  # both parse one message before they are timed
    ratios = []
    for number in range(1, args.rounds + 1):  # alternate, so a burst of load hits both
        base, ours = rate(twilio, args.seconds), rate(telegram, args.seconds)
        ratios.append(ours / base)
        print(f"round {number}: Twilio {base:,.0f}/s, Telegram {ours:,.0f}/s, "
              f"ratio {ours / base:.2f}")
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}: median ratio Telegram/Twilio **{statistics.median(ratios):.2f}**")


if __name__ == "__main__":
    main()
