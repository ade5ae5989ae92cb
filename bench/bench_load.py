"""The centre under load as `crisis up` runs it, against a bare aiohttp handler, in one run.

    python bench/bench_load.py [--messages 20000 | --quick] [--concurrency 64]
                               [--chats 200] [--operators 4] [--fsync everysec|always]
    python bench/bench_load.py --compare-fsync [--rounds 3] [--messages 3000]

Starts an embedded Redis (appendfsync as --fsync), the Twilio stand-in
(testbed/twilio_server.py) as the provider, and the process model of `crisis up`: two
`crisis web --no-events --reuse-port` on one port, one `crisis worker --events` (the
pipeline after each acknowledgement) and two `crisis worker` (reply jobs), all on this
machine's cores. Then, from a separate load process:
  1. baseline: the same signed SMS, as fast as they are answered (`--concurrency`
     connections), to the bare handler of bench/bench_sms_webhook.py (200 to any POST);
  2. ours: N signed SMS (a new MessageSid and citizen each) the same way, while `--chats`
     web-chat sessions (WebSocket /chat/ws) each send a few messages and `--operators`
     operators answer queued conversations through the API (bearer tokens from
     `crisis tokens create`), each operator taking its own share.
Prints requests/s of both and their ratio, p50/p99 of our webhook at that rate, the pipeline's
drain time after the last SMS, and the counts from Redis: received (distinct MessageSids
deduplicated) = persisted (citizen messages in conversations) = routed or auto-answered
(conversations past `new`), and duplicates: replies the stand-in received twice for the same
citizen and text (0 expected).

`--compare-fsync`: the cost of CRISIS_REDIS_FSYNC=always. Alternating rounds of `--messages`
SMS each against the bare handler, then ours with appendfsync everysec, then always (switched
with CONFIG SET on the same Redis and processes), so the machine's load weighs on all alike.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sms_webhook import BARE, PUBLIC, TOKEN, cpu_seconds, form, pipeline_backlog  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from testbed.ports import free_port, wait_listening  # noqa: E402

PREFIX = "load:"
STREAM, GROUP = f"{PREFIX}events:conversations", "channels-inbound"
CHAT_MESSAGES = 3  # per chat session
RETRY_PAUSE_S = 0.05  # after a 503 (load shedding), as Twilio would after Retry-After


# --- the load process -------------------------------------------------------------------

async def send_sms(http: aiohttp.ClientSession, url: str, first: int, count: int,
                   concurrency: int) -> dict[str, Any]:
    """`count` signed SMS, `concurrency` at a time, each retried on 503 until answered 200."""
    numbers = iter(range(first, first + count))
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()

    async def sender() -> None:
        for n in numbers:
            headers, data = form(n)
            while True:
                started = time.perf_counter()
                async with http.post(url, data=data, headers=headers) as response:
                    await response.read()
                statuses[response.status] += 1
                if response.status == 200:
                    latencies.append(time.perf_counter() - started)
                    break
                assert response.status == 503, response.status
                await asyncio.sleep(RETRY_PAUSE_S)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return {"seconds": time.perf_counter() - started, "latencies": latencies,
            "statuses": dict(statuses)}


async def chat_session(http: aiohttp.ClientSession, base: str, number: int) -> int:
    """One citizen on the web chat: hello, then a few messages, each waited for its ack."""
    acked = 0
    async with http.ws_connect(f"{base.replace('http', 'ws', 1)}/chat/ws") as ws:
        await ws.send_json({"type": "hello", "token": None, "since": None, "lang": "fr"})
        for k in range(CHAT_MESSAGES):
            await ws.send_json({"type": "message", "id": f"m{number}-{k}",
                                "text": f"bonjour, question {k} de la session {number}"})
            while True:
                frame = await ws.receive_json(timeout=60)
                if frame.get("type") == "ack" and frame.get("id") == f"m{number}-{k}":
                    acked += 1
                    break
                if frame.get("type") == "error":
                    await asyncio.sleep(float(frame.get("retry_after", 1)))
                    await ws.send_json({"type": "message", "id": f"m{number}-{k}",
                                        "text": f"bonjour, question {k} de la session {number}"})
    return acked


async def operator(http: aiohttp.ClientSession, base: str, token: str, number: int,
                   until: asyncio.Event, statuses: collections.Counter[int]) -> int:
    """Signs in as available, then answers and closes each conversation the router assigns
    it, until the load has ended."""
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{base}/api/operators/me/status", headers=headers,
                         json={"status": "available", "capacity": 10}) as response:
        statuses[response.status] += 1
    answered: set[str] = set()
    while not until.is_set():
        async with http.get(f"{base}/api/conversations?status=assigned&limit=50",
                            headers=headers) as response:
            statuses[response.status] += 1
            items = (await response.json())["items"] if response.status == 200 else []
        for item in items:
            conversation = item["id"]
            if conversation in answered:
                continue
            async with http.post(f"{base}/api/conversations/{conversation}/reply",
                                 headers=headers, json={
                                     "text": f"Réponse de l'opérateur {number} ({conversation})"
                                 }) as response:
                statuses[response.status] += 1
                if response.status == 201:
                    answered.add(conversation)
            async with http.post(f"{base}/api/conversations/{conversation}/close",
                                 headers=headers) as response:
                statuses[response.status] += 1
        await asyncio.sleep(0.2)
    return len(answered)


async def _ours(base: str, messages: int, concurrency: int, chats: int,
                tokens: list[str]) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        done = asyncio.Event()
        api: collections.Counter[int] = collections.Counter()
        operators = [asyncio.create_task(operator(http, base, token, i + 1, done, api))
                     for i, token in enumerate(tokens)]
        chat_task = asyncio.gather(*(chat_session(http, base, n) for n in range(chats)))
        sms = await send_sms(http, f"{base}/hooks/twilio/sms", 0, messages, concurrency)
        acked = sum(await chat_task)
        done.set()
        replies = sum(await asyncio.gather(*operators))
        return {**sms, "chat_acked": acked, "api_statuses": dict(api), "operator_replies": replies}


async def _sms_only(url: str, first: int, messages: int, concurrency: int) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        return await send_sms(http, url, first, messages, concurrency)


def _in_process(target: str, args: tuple[Any, ...], out: Any) -> None:
    coroutine = {"ours": _ours, "sms": _sms_only}[target]
    out.put(asyncio.run(coroutine(*args)))  # type: ignore[operator]


def from_load_process(target: str, *args: Any) -> dict[str, Any]:
    """Runs one load in a separate process (the servers and the client do not share a GIL)."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_in_process, args=(target, args, queue))
    process.start()
    result: dict[str, Any] = queue.get(timeout=1800)
    process.join()
    return result


# --- the centre -------------------------------------------------------------------------

class Centre:
    """The Twilio stand-in, the bare handler and our processes, on one embedded Redis."""

    def __init__(self, fsync: str, under: Path | None = None) -> None:
        # The AOF's disk is what `always` pays for: --data-under puts it on the disk to measure.
        self.data = Path(tempfile.mkdtemp(prefix="bench-load-", dir=under))
        self.redis = EmbeddedRedis(self.data, fsync)
        self.port, self.bare_port, self.twilio_port = free_port(), free_port(), free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {**os.environ, "CRISIS_PORT": str(self.port), "CRISIS_DATA_DIR": str(self.data),
                    "CRISIS_PUBLIC_URL": PUBLIC, "CRISIS_REDIS_PREFIX": PREFIX,
                    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
                    "TWILIO_FROM": "+33700000000",
                    "TWILIO_API_BASE": f"http://127.0.0.1:{self.twilio_port}",
                    # The stand-in takes anything: the provider's rate is not what is measured.
                    "TWILIO_MESSAGES_PER_SECOND": "100000",
                    # Every chat session comes from 127.0.0.1.
                    "CRISIS_CHAT_SOCKETS_PER_IP": "100000",
                    "CRISIS_CHAT_MESSAGES_PER_IP_PER_MINUTE": "1000000",
                    "CRISIS_LOG_LEVEL": "warning",
                    "CRISIS_SECRET_KEY": "bench-secret-key-not-for-production"}

    def start(self) -> None:
        self.redis.start()
        self.env["REDIS_URL"] = self.redis.url
        self._spawn("twilio", [sys.executable, "-m", "testbed.twilio_server",
                               str(self.twilio_port)], cwd=ROOT)
        self._spawn("bare", [sys.executable, "-c", BARE, str(self.bare_port)])
        crisis = [sys.executable, "-m", "crisis"]
        for name, args in (("web-1", ["web", "--no-events", "--reuse-port"]),
                           ("web-2", ["web", "--no-events", "--reuse-port"]),
                           ("events", ["worker", "--events"]),
                           ("worker-1", ["worker"]), ("worker-2", ["worker"])):
            self._spawn(name, [*crisis, *args])
        for port in (self.twilio_port, self.bare_port, self.port):
            wait_listening(port)

    def _spawn(self, name: str, command: list[str], cwd: Path | None = None) -> None:
        self.processes[name] = subprocess.Popen(command, env=self.env, cwd=cwd or self.data)

    def token(self, name: str) -> str:
        out = subprocess.run([sys.executable, "-m", "crisis", "tokens", "create", name,
                              "--role", "operator"], env=self.env, cwd=self.data, check=True,
                             capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.redis.stop()


def client(centre: Centre) -> Any:
    import redis as redis_py

    return redis_py.Redis(unix_socket_path=str(centre.redis.socket_path), decode_responses=True)


def jobs_waiting(r: Any) -> int:
    """Reply and other RQ jobs queued or running, every queue."""
    queued = sum(r.llen(k) for k in r.scan_iter("*rq:queue:*") if r.type(k) == "list")
    running = sum(r.zcard(k) for k in r.scan_iter("*rq:wip:*") if r.type(k) == "zset")
    return int(queued + running)


def drain(centre: Centre, r: Any, timeout: float = 900) -> tuple[float, float]:
    """Seconds until the pipeline has handled every event (no conversation still `new`),
    then until no job is queued or running (every reply sent)."""
    started = time.monotonic()
    new_key = f"{PREFIX}ch:status:new"
    events_done = None
    while time.monotonic() - started < timeout:
        if events_done is None and not pipeline_backlog(r, STREAM, GROUP) \
                and not count_members(r, new_key):
            events_done = time.monotonic() - started
        if events_done is not None and not jobs_waiting(r):
            break
        time.sleep(0.2)
    total = time.monotonic() - started
    return (total if events_done is None else events_done), total


def count_members(r: Any, key: str) -> int:
    kind = r.type(key)
    return int({"zset": r.zcard, "set": r.scard, "list": r.llen}.get(kind, lambda _: 0)(key))


def counts(centre: Centre, r: Any) -> dict[str, int]:
    """What Redis holds: SMS received (deduplicated MessageSids), persisted (citizens' SMS in
    conversations), conversations per status, and the stand-in's duplicate replies."""
    received = sum(1 for _ in r.scan_iter(f"{PREFIX}ch:seen:sms:*", count=1000))
    ids = r.zrange(f"{PREFIX}ch:conversations", 0, -1)
    persisted = chat_persisted = 0
    statuses: collections.Counter[str] = collections.Counter()
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        pipe = r.pipeline(transaction=False)
        for cid in batch:
            pipe.hget(f"{PREFIX}ch:{{c:{cid}}}", "status")
            pipe.hget(f"{PREFIX}ch:{{c:{cid}}}", "channel")
            pipe.lrange(f"{PREFIX}ch:{{c:{cid}}}:messages", 0, -1)
        found = pipe.execute()
        for i in range(len(batch)):
            status, channel, messages = found[3 * i:3 * i + 3]
            statuses[f"{channel}:{status}"] += 1
            citizens = sum(1 for m in map(json.loads, messages) if m.get("author") == "citizen")
            if channel == "sms":
                persisted += citizens
            elif channel == "chat":
                chat_persisted += citizens
    with aiohttp_get(f"http://127.0.0.1:{centre.twilio_port}/messages") as sent:
        replies = collections.Counter((m["To"], m["Body"]) for m in sent)
    sms_conversations = sum(n for k, n in statuses.items() if k.startswith("sms:"))
    return {"received": received, "persisted": persisted,
            "sms_conversations": sms_conversations,
            "routed_or_answered": sum(n for k, n in statuses.items()
                                      if k.startswith("sms:") and not k.endswith(":new")),
            "chat_conversations": sum(n for k, n in statuses.items() if k.startswith("chat:")),
            "chat_messages_persisted": chat_persisted,
            # Events the pipeline gave up on after its retries: messages never routed.
            "dead_letters": int(r.xlen(Keys(PREFIX).dead_letters(GROUP))),
            **{f"status {k}": n for k, n in sorted(statuses.items())},
            "replies_sent": sum(replies.values()),
            "citizens_answered": len({to for to, _ in replies}),
            "duplicates": sum(n - 1 for n in replies.values() if n > 1)}


class aiohttp_get:  # noqa: N801 (a tiny synchronous GET for the stand-in's records)
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> list[dict[str, str]]:
        import urllib.request

        with urllib.request.urlopen(self.url, timeout=60) as response:
            return list(json.loads(response.read()))

    def __exit__(self, *_: object) -> None:
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


def machine_load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the two benchmarks ------------------------------------------------------------------

def run_load(args: argparse.Namespace) -> None:
    ok = False
    centre = Centre(args.fsync, args.data_under)
    centre.start()
    try:
        r = client(centre)
        tokens = [centre.token(f"operator-{i + 1}") for i in range(args.operators)]
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
              f"{machine_load()}, {os.cpu_count()} cores; {args.messages} SMS at concurrency "
              f"{args.concurrency}, {args.chats} chat sessions x {CHAT_MESSAGES} messages, "
              f"{args.operators} operators; appendfsync {args.fsync}")
        bare = from_load_process("sms", f"http://127.0.0.1:{centre.bare_port}/hooks/twilio/sms",
                                 50_000_000, args.messages, args.concurrency)
        pids = {name: p.pid for name, p in centre.processes.items()
                if name not in ("bare", "twilio")}
        pids["redis"] = int(r.info("server")["process_id"])
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        ours = from_load_process("ours", f"http://127.0.0.1:{centre.port}", args.messages,
                                 args.concurrency, args.chats, tokens)
        cpu_during = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        handled, drained = drain(centre, r)
        found = counts(centre, r)
        base_rate = args.messages / bare["seconds"]
        rate = args.messages / ours["seconds"]
        print(f"bare aiohttp handler: {base_rate:7.0f} req/s, p50 "
              f"{percentile(bare['latencies'], 0.5):.1f} ms, p99 "
              f"{percentile(bare['latencies'], 0.99):.1f} ms")
        print(f"SMS webhook (ours):   {rate:7.0f} req/s, p50 "
              f"{percentile(ours['latencies'], 0.5):.1f} ms, p99 "
              f"{percentile(ours['latencies'], 0.99):.1f} ms; ratio {rate / base_rate:.2f} "
              f"(goal >= 0.5); HTTP statuses {ours['statuses']}")
        print("CPU s during the load: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu_during.items()))
        print(f"chat: {ours['chat_acked']} of {args.chats * CHAT_MESSAGES} messages acknowledged; "
              f"operators sent {ours['operator_replies']} replies through the API "
              f"(HTTP statuses {ours['api_statuses']})")
        print(f"after the last SMS was acknowledged: every event handled in {handled:.1f} s, "
              f"every reply sent in {drained:.1f} s")
        print("Redis: " + ", ".join(f"{k} {v}" for k, v in found.items()))
        ok = found["received"] == found["persisted"] == found["routed_or_answered"] \
            == args.messages and found["duplicates"] == 0 and found["dead_letters"] == 0 \
            and ours["chat_acked"] == args.chats * CHAT_MESSAGES
        print("received = persisted = routed or auto-answered, 0 duplicates, 0 dead letters, "
              "every chat message acknowledged: " + ("yes" if ok else "NO"))
    finally:
        centre.stop()
    if not ok:
        sys.exit(1)  # a lost, unrouted or twice-answered message fails the run (CI)


def run_fsync_comparison(args: argparse.Namespace) -> None:
    centre = Centre("everysec", args.data_under)
    centre.start()
    try:
        r = client(centre)
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
              f"{machine_load()}; data under {centre.data}; {args.rounds} alternating rounds of {args.messages} SMS at "
              f"concurrency {args.concurrency} (SMS only, the pipeline drained between rounds)")
        rates: dict[str, list[float]] = {"bare": [], "everysec": [], "always": []}
        p99: dict[str, list[float]] = {"bare": [], "everysec": [], "always": []}
        first = 0
        for number in range(args.rounds):
            # The order of the two policies alternates too: a phase right after the bare one
            # (the pipeline idle) is not the same as one after a drain.
            order = ["bare", "everysec", "always"] if number % 2 == 0 else \
                ["bare", "always", "everysec"]
            for phase in order:
                if phase == "bare":
                    url = f"http://127.0.0.1:{centre.bare_port}/hooks/twilio/sms"
                else:
                    r.config_set("appendfsync", phase)
                    url = f"http://127.0.0.1:{centre.port}/hooks/twilio/sms"
                result = from_load_process("sms", url, first, args.messages, args.concurrency)
                first += args.messages
                rates[phase].append(args.messages / result["seconds"])
                p99[phase].append(percentile(result["latencies"], 0.99))
                if phase != "bare":
                    drain(centre, r)  # the next round starts from an idle pipeline
        base = statistics.median(rates["bare"])
        for phase in rates:
            rate = statistics.median(rates[phase])
            print(f"{phase:>9}: {rate:7.0f} req/s (rounds {', '.join(f'{x:.0f}' for x in rates[phase])}), "
                  f"p99 {statistics.median(p99[phase]):.1f} ms, x bare {rate / base:.2f}")
        print(f"always / everysec: {statistics.median(rates['always']) / statistics.median(rates['everysec']):.2f}")
    finally:
        centre.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 SMS (and 1,000 per round "
                        "with --compare-fsync)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--operators", type=int, default=4)
    parser.add_argument("--fsync", choices=("everysec", "always"), default="everysec")
    parser.add_argument("--compare-fsync", action="store_true",
                        help="SMS webhook throughput with appendfsync everysec vs always")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--data-under", type=Path, default=None, metavar="DIR",
                        help="the centre's data dir (and so the AOF) under DIR (default: the "
                        "system temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.messages = 1_000 if args.compare_fsync else 2_000
    elif args.compare_fsync and args.messages == 20_000:
        args.messages = 3_000
    if args.compare_fsync:
        run_fsync_comparison(args)
    else:
        run_load(args)


if __name__ == "__main__":
    main()
