"""One events process draining inbound SMS to queued replies, against baselines, in one run.

    python bench/bench_events_pipeline.py [--sms 5000] [--concurrency 64] [--profile FILE.svg]

Starts an embedded Redis, imports the flood knowledge base (knowledge_base/tooling/data/
kb-inondation.jsonl: 52 published articles), starts `crisis web --no-events` and one
`crisis worker --events` (stopped with SIGSTOP as soon as its consumer groups exist), then
posts N signed SMS to the real /hooks/twilio/sms (a new citizen each; the bodies cycle over
the articles' own questions, so nearly every one is auto-answered): the stream then holds N
inbound events exactly as the webhook stores them. The web process is stopped, the events
process continued, and timed until the pipeline's group has nothing pending and N replies
wait in the reply stream (channels/reply_stream.py; no worker runs: their sending is not part
of this figure).

Baselines, measured in the same run over the same entries and texts:
  1. bare stream: XREADGROUP (100 at a time, as the consumer reads) + XACK of the same
     entries with a fresh group, from this process: the floor of any consumer;
  2. the knowledge base alone: `KnowledgeBase.answer_citizen` over the same N texts
     (recording counted answers, as the pipeline does), one at a time, from this process.
Prints events/s of each and the ratios, the events process's CPU per SMS, and the Redis
commands per SMS (INFO commandstats around the drain; those run inside scripts included).
`--profile` records the events process with py-spy while it drains.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sms_webhook import PUBLIC, TOKEN, cpu_seconds, form, pipeline_backlog  # noqa: E402
from bench.bench_sms_webhook import wait_consuming  # noqa: E402
from channels.keys import ChannelKeys  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from testbed.ports import free_port, wait_listening  # noqa: E402

KB_FILE = ROOT / "knowledge_base" / "tooling" / "data" / "kb-inondation.jsonl"
PREFIX = "bench:"
GROUP = "channels-inbound"


def questions() -> list[str]:
    with KB_FILE.open(encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


async def post_sms(url: str, count: int, concurrency: int, texts: list[str]) -> None:
    """N signed SMS to the webhook, each from a new citizen, all acknowledged (200)."""
    numbers = iter(range(count))
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            for n in numbers:
                headers, data = form(n, texts[n % len(texts)])
                while True:
                    async with session.post(url, data=data, headers=headers) as response:
                        await response.read()
                    if response.status == 200:
                        break
                    assert response.status == 503, response.status  # shed: retried, as Twilio would
                    await asyncio.sleep(0.05)
        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def bare_stream(url: str, stream: str) -> tuple[int, float]:
    """XREADGROUP 100 at a time + one XACK per batch over every entry, with a fresh group."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, decode_responses=True)
    await client.xgroup_create(stream, "bench-bare", id="0")
    read = 0
    started = time.perf_counter()
    while True:
        batch = await client.xreadgroup("bench-bare", "bench", {stream: ">"}, count=100)
        entries = [entry for _name, items in batch or [] for entry in items]
        if not entries:
            break
        await client.xack(stream, "bench-bare", *(entry_id for entry_id, _ in entries))
        read += len(entries)
    elapsed = time.perf_counter() - started
    await client.aclose()
    return read, elapsed


async def kb_alone(url: str, texts: list[str]) -> float:
    """Seconds `answer_citizen` takes over `texts`, one after the other (index built first)."""
    import redis.asyncio as aioredis

    from crisis.events import EventBus
    from crisis.keys import Keys
    from crisis.types import ChannelKind
    from knowledge_base import KnowledgeBase

    client = aioredis.Redis.from_url(url, decode_responses=True)
    keys = Keys(PREFIX)
    kb = KnowledgeBase(client, keys, EventBus(client, keys))
    await kb.answer_citizen(texts[0], "fr", ChannelKind.SMS)  # builds the index
    started = time.perf_counter()
    for text in texts:
        await kb.answer_citizen(text, "fr", ChannelKind.SMS)
    elapsed = time.perf_counter() - started
    await client.aclose()
    return elapsed


def command_calls(client: Any) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(stats["calls"])
            for name, stats in client.info("commandstats").items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sms", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64, help="webhook posts at once")
    parser.add_argument("--profile", metavar="FILE.svg|FILE.txt",
                        help="record the events process with py-spy while it drains "
                             "(.txt: collapsed stacks)")
    parser.add_argument("--monitor", metavar="FILE",
                        help="write Redis's MONITOR output during the drain to FILE")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-events-"))
    redis = EmbeddedRedis(data)
    redis.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        import redis as redis_py

        client = redis_py.Redis(unix_socket_path=str(redis.socket_path), decode_responses=True)
        port = free_port()
        env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
               "CRISIS_DATA_DIR": str(data), "CRISIS_PUBLIC_URL": PUBLIC,
               "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_FROM": "+33700000000",
               "TWILIO_API_BASE": "http://127.0.0.1:9", "CRISIS_LOG_LEVEL": "warning",
               "CRISIS_REDIS_PREFIX": PREFIX}
        crisis = [sys.executable, "-m", "crisis"]
        subprocess.run([*crisis, "kb", "import", str(KB_FILE)], env=env, cwd=data, check=True,
                       stdout=subprocess.DEVNULL)
        web = subprocess.Popen([*crisis, "web", "--no-events"], env=env, cwd=data)
        events = subprocess.Popen([*crisis, "worker", "--events"], env=env, cwd=data)
        processes += [web, events]
        stream = Keys(PREFIX).conversation_events  # where the SMS events are
        wait_consuming(client, stream, GROUP)
        time.sleep(1.0)  # the other groups and the index's first build
        events.send_signal(signal.SIGSTOP)
        wait_listening(port)
        texts = questions()
        started = time.perf_counter()
        asyncio.run(post_sms(f"http://127.0.0.1:{port}/hooks/twilio/sms", args.sms,
                             args.concurrency, texts))
        filled = time.perf_counter() - started
        web.terminate()
        web.wait()
        backlog = pipeline_backlog(client, stream, GROUP)
        # Replies to the SMS channel go to the reply stream (channels/reply_stream.py), one
        # entry each; no worker runs, so they stay there.
        replies = ChannelKeys(Keys(PREFIX)).reply_stream
        before_jobs = int(client.xlen(replies))
        load = os.getloadavg()
        # The baselines while the events process is stopped.
        read, bare_s = asyncio.run(bare_stream(redis.url, stream))
        kb_s = asyncio.run(kb_alone(redis.url, [texts[n % len(texts)] for n in range(args.sms)]))
        calls_before = command_calls(client)
        cpu_before = cpu_seconds(events.pid)
        redis_pid = int(client.info("server")["process_id"])
        redis_cpu_before = cpu_seconds(redis_pid)
        started = time.perf_counter()
        events.send_signal(signal.SIGCONT)
        spy = None  # attached once running (py-spy cannot attach to a stopped process)
        if args.profile:
            raw = ["--format", "raw"] if args.profile.endswith(".txt") else []
            spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record",
                                    "-o", args.profile, "--rate", "200", *raw,
                                    "--pid", str(events.pid)], stdout=subprocess.DEVNULL)
        monitor = None
        if args.monitor:
            monitor = subprocess.Popen(["redis-cli", "-s", str(redis.socket_path), "monitor"],
                                       stdout=open(args.monitor, "wb"))
        deadline = started + 600
        while time.perf_counter() < deadline:
            # XLEN first: the backlog's XRANGE of thousands of entries every 10 ms would
            # weigh on the Redis the events process waits for.
            if int(client.xlen(replies)) - before_jobs >= args.sms \
                    and pipeline_backlog(client, stream, GROUP) == 0:
                break
            time.sleep(0.01)
        drain_s = time.perf_counter() - started
        events_cpu = cpu_seconds(events.pid) - cpu_before
        redis_cpu = cpu_seconds(redis_pid) - redis_cpu_before
        calls_after = command_calls(client)
        if monitor is not None:
            monitor.terminate()
            monitor.wait()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait()
        jobs = int(client.xlen(replies)) - before_jobs
        channel_keys = ChannelKeys(Keys(PREFIX))
        stats = client.hgetall(channel_keys.stats)
        auto = int(float(stats.get("auto:sms", 0)))
        statuses = {status: int(client.zcard(channel_keys.by_status(status)))
                    for status in ("new", "auto-answered", "queued", "assigned", "closed")}
        dead = int(client.xlen(Keys(PREFIX).dead_letters(GROUP)))
        rate = args.sms / drain_s
        print(f"{args.sms} inbound SMS events stored by the webhook in {filled:.1f} s "
              f"(backlog {backlog}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"bare XREADGROUP+XACK:      {read / bare_s:8.0f} events/s")
        print(f"knowledge base alone:      {args.sms / kb_s:8.0f} answers/s "
              f"({kb_s / args.sms * 1e6:.0f} us each)")
        print(f"events process, drained:   {rate:8.0f} events/s  ({jobs} replies queued, "
              f"{dead} dead letters, auto-answer counter {auto}; {drain_s:.1f} s)")
        print("conversations: " + ", ".join(f"{status} {n}" for status, n in statuses.items()))
        print(f"ratios: pipeline / bare stream {rate / (read / bare_s):.3f}, "
              f"pipeline / knowledge base alone {rate / (args.sms / kb_s):.2f}; "
              f"goal >= 1000 events/s: {'met' if rate >= 1000 else 'NOT met'}")
        print(f"events process CPU {events_cpu:.1f} s = {events_cpu / args.sms * 1e6:.0f} us "
              f"per SMS (of which the knowledge base alone: {kb_s / args.sms * 1e6:.0f} us)")
        print(f"Redis CPU {redis_cpu:.1f} s = {redis_cpu / args.sms * 1e6:.0f} us per SMS "
              "(the bench's own polls included)")
        delta = {name: calls_after.get(name, 0) - calls_before.get(name, 0)
                 for name in calls_after}
        delta = {name: n for name, n in delta.items() if n > 0}
        total = sum(delta.values())
        print(f"Redis commands per SMS during the drain: {total / args.sms:.1f} ("
              + ", ".join(f"{name} {n / args.sms:.2f}" for name, n in
                          sorted(delta.items(), key=lambda item: -item[1])[:14]) + ")")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
                process.wait()
        redis.stop()


if __name__ == "__main__":
    main()
