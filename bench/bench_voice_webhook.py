"""Voice webhook (IVR TwiML) latency with 200 concurrent calls, against a bare aiohttp handler
returning a fixed TwiML, in one run.

    python bench/bench_voice_webhook.py [--seconds 5] [--rounds 3] [--calls 200]

Starts an embedded Redis, activates the flood demo crisis, then two servers on free ports,
each one process, loaded in turn (alternating rounds, so the machine's other load weighs on
both alike) by the same client process with `--calls` concurrent calls. Each call is what a
caller does first: the greeting with the instructions and the menu (POST /hooks/twilio/voice),
"1" (instructions again, /menu), then a round of the queue's wait URL (/wait); a new CallSid
per call, every request signed like Twilio's. The bare handler answers a fixed TwiML of the
same size to the same requests without reading anything. Prints requests/s of both and their
ratio (goal >= 0.5), and p50/p99 latency of both under that load.
"""

from __future__ import annotations

import argparse
import asyncio
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

from testbed.ports import free_port, wait_listening  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402

TOKEN = "bench-auth-token"
PUBLIC = "https://bench.example"
STEPS = (("/hooks/twilio/voice", {}), ("/hooks/twilio/voice/menu?lang=fr", {"Digits": "1"}),
         ("/hooks/twilio/voice/wait?lang=fr", {"QueuePosition": "3", "QueueTime": "40"}))
BARE = """
import sys
from aiohttp import web
body = open(sys.argv[2], encoding="utf-8").read()
async def twiml(request):
    await request.post()
    return web.Response(text=body, content_type="text/xml")
app = web.Application()
app.router.add_post("/hooks/twilio/voice", twiml)
app.router.add_post("/hooks/twilio/voice/{step}", twiml)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def signed(path: str, sid: str, extra: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    data = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": f"+336{int(sid[-8:]):08d}",
            "To": "+33700000000", "CallStatus": "in-progress", "Direction": "inbound", **extra}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, data)
    return {"X-Twilio-Signature": signature}, data


async def _load(base: str, seconds: float, calls: int, offset: int
                ) -> tuple[float, list[float]]:
    """The phase's real length and the latencies of the requests answered in it."""
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + seconds
    connector = aiohttp.TCPConnector(limit=calls)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def caller(index: int) -> None:
            n = offset + index * 100_000
            while time.perf_counter() < deadline:
                n += 1
                sid = f"CA{os.getpid():08d}{n:022d}"
                for path, extra in STEPS:
                    if time.perf_counter() >= deadline:
                        return
                    headers, data = signed(path, sid, extra)
                    started = time.perf_counter()
                    async with session.post(base + path, data=data, headers=headers) as response:
                        await response.read()
                        assert response.status == 200, response.status
                    latencies.append(time.perf_counter() - started)
        await asyncio.gather(*(caller(i) for i in range(calls)))
    return time.perf_counter() - began, latencies


def load(base: str, seconds: float, calls: int, offset: int,
         out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put(asyncio.run(_load(base, seconds, calls, offset)))


def run_load(base: str, seconds: float, calls: int, offset: int
             ) -> tuple[float, list[float]]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=load, args=(base, seconds, calls, offset, queue))
    process.start()
    result: tuple[float, list[float]] = queue.get(timeout=seconds + 120)
    process.join()
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    redis = EmbeddedRedis(data)
    redis.start()
    env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_DATA_DIR": str(data),
           "CRISIS_PUBLIC_URL": PUBLIC, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE": "http://127.0.0.1:9",
           "CRISIS_LOG_LEVEL": "warning", "CRISIS_REDIS_PREFIX": "bench:"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([sys.executable, "-m", "crisis", "activate", "inondation", "--area",
                        "75", "--level", "2"], env=env, cwd=data, check=True,
                       stdout=subprocess.DEVNULL)
        bare_port, port = free_port(), free_port()
        env["CRISIS_PORT"] = str(port)
        web = subprocess.Popen([sys.executable, "-m", "crisis", "web"], env=env, cwd=data)
        processes.append(web)
        wait_listening(port)
        time.sleep(2)  # the web process's consumers switch the greeting to the live crisis
        # The bare handler answers what ours answers to the first step, byte for byte.
        import urllib.request
        headers, form = signed(STEPS[0][0], "CA" + "9" * 30, {})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{STEPS[0][0]}",
            data="&".join(f"{k}={urllib.parse.quote(v)}" for k, v in form.items()).encode(),
            headers=headers)
        fixed = urllib.request.urlopen(request, timeout=10).read().decode()
        assert "inondations" in fixed, fixed[:300]
        (data / "fixed.xml").write_text(fixed, encoding="utf-8")
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port),
                                 str(data / "fixed.xml")])
        processes.append(bare)
        wait_listening(bare_port)
        totals = {"bare": 0.0, "ours": 0.0}  # seconds of load
        lat: dict[str, list[float]] = {"bare": [], "ours": []}
        ratios = []
        for number in range(args.rounds):
            t_bare, l_bare = run_load(f"http://127.0.0.1:{bare_port}", args.seconds,
                                         args.calls, (number + 1) * 10_000_000)
            t_ours, l_ours = run_load(f"http://127.0.0.1:{port}", args.seconds,
                                         args.calls, (number + 1) * 10_000_000)
            totals["bare"] += t_bare
            totals["ours"] += t_ours
            lat["bare"] += l_bare
            lat["ours"] += l_ours
            ratios.append((len(l_ours) / t_ours) / (len(l_bare) / t_bare))
        rate = {name: len(lat[name]) / totals[name] for name in totals}
        print(f"{args.rounds} rounds of {args.seconds:.0f} s, alternating, {args.calls} "
              f"concurrent calls (greeting + menu 1 + a wait round each), TwiML "
              f"{len(fixed)} bytes")
        for name, label in (("bare", "bare aiohttp, fixed TwiML"), ("ours", "IVR webhooks")):
            print(f"{label:27s}: {rate[name]:7.0f} req/s, p50 "
                  f"{statistics.median(lat[name]) * 1000:6.1f} ms, p99 "
                  f"{percentile(lat[name], 0.99):6.1f} ms")
        print(f"ratio (requests/s ours / bare): {rate['ours'] / rate['bare']:.2f} "
              f"(goal >= 0.5; per round {', '.join(f'{r:.2f}' for r in ratios)}); p50 "
              f"latency ratio bare/ours {statistics.median(lat['bare']) / statistics.median(lat['ours']):.2f}")
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        redis.stop()


if __name__ == "__main__":
    main()
