"""Inbound SMS webhook throughput and latency, against a bare aiohttp handler, in one run.

    python bench/bench_sms_webhook.py [--seconds 4] [--rounds 3] [--concurrency 32]
                                      [--load wrk|python] [--web-processes N]
                                      [--pipeline-in-web]

Starts an embedded Redis, then two servers, each serving HTTP from one process on a free
port, loaded in turn (3 alternating rounds, so the machine's other load weighs on both
alike) by the same client with the same number of connections:
  1. baseline: a bare aiohttp app whose handler answers 200 to any POST;
  2. ours, as `crisis up` runs it: `crisis web --no-events` with Twilio on, the real
     /hooks/twilio/sms (signature check, dedupe, persist, event for the background pipeline,
     empty TwiML), and beside it `crisis worker --events`, the background pipeline
     (auto-answer, queueing, console events) on the same cores, running during the load.
     `--pipeline-in-web` runs the pipeline inside the web process instead (the old model).
While the bare handler is loaded the pipeline is paused (SIGSTOP), so its catching up is
counted in our phases only. The load comes from wrk (C, one thread) replaying signed Twilio
forms prepared before the round, each with a new MessageSid and each sent once, so the load
generator takes little of the 2 cores and the bare handler is measured at its own capacity;
`--load python` uses the aiohttp client of earlier runs instead (signing as it goes, 180-260
us of CPU a request: in the bare phase it, not the handler, is the limit, which flatters the
ratio). The half-rate latency phase always uses the aiohttp client (wrk has no rate).
Prints requests/s of both and the ratio, the CPU seconds each of our processes used,
p50/p99 latency of ours at half its max rate, how long the pipeline took to catch up after
the load, and checks that every acknowledged message was persisted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testbed.ports import free_port, wait_listening  # noqa: E402
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


def form(n: int, body: str = "peut on boire l'eau du robinet") -> tuple[dict[str, str], dict[str, str]]:
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
    LOADER_CPU.append(time.process_time())
    return sent, latencies


LOADER_CPU: list[float] = []


def load(url: str, seconds: float, concurrency: int, rate: float | None, offset: int,
         out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put((*asyncio.run(_load(url, seconds, concurrency, rate, offset)), LOADER_CPU[-1]))


def run_load(url: str, seconds: float, concurrency: int, rate: float | None = None,
             offset: int = 0) -> tuple[int, list[float]]:
    """Requests answered and their latencies; the loader's CPU seconds go to LOADER_CPU."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=load, args=(url, seconds, concurrency, rate,
                                                         offset, queue))
    process.start()
    result = queue.get(timeout=seconds + 120)
    process.join()
    LOADER_CPU.append(result[2])
    return result[0], result[1]


# wrk sends requests prepared before the phase (unique MessageSids, signed), so the load
# generator's own CPU (C, a few us a request) hardly competes with the servers it measures;
# the Python client above spends 180-260 us a request, more than the bare handler it loads.
WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  local signature, body = line:match("^(%S+) (.*)$")
  bodies[#bodies + 1] = {signature, body}
end
local requests, at = {}, 0
init = function(args)
  for _, b in ipairs(bodies) do
    requests[#requests + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = b[1]}, b[2])
  end
end
request = function()
  at = at + 1
  if at > #requests then at = 1 end  -- counted: the run is refused if it wrapped
  return requests[at]
end
"""


def write_bodies(path: Path, count: int, offset: int) -> None:
    """`count` signed forms, one per line (signature, space, url-encoded body)."""
    with path.open("w") as out:
        for n in range(offset, offset + count):
            headers, data = form(n)
            out.write(f"{headers['X-Twilio-Signature']} {urlencode(data)}\n")


def run_wrk(url: str, seconds: int, concurrency: int, bodies: Path, count: int,
            script: Path) -> int:
    """Requests answered 2xx in `seconds`; refuses a run that answered otherwise or sent a
    request twice (a repeated MessageSid would take the cheaper provider-retry path)."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True, text=True, check=True, env={**os.environ, "BENCH_BODIES": str(bodies)}
    ).stdout
    match = re.search(r"(\d+) requests in", output)
    if match is None or "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk run failed:\n{output}")
    sent = int(match.group(1))
    if sent > count:
        raise SystemExit(f"wrk sent {sent} requests but only {count} were prepared: "
                         "raise --prepared")
    return sent


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline_backlog(client: Any, stream: str, group: str) -> int:
    """Events of the stream not yet handled by the pipeline's consumer group."""
    info = {g["name"]: g for g in client.xinfo_groups(stream)}.get(group)
    if info is None:
        return int(client.xlen(stream))
    if info.get("lag") is not None:  # Redis 7: kept by the server, nothing to read
        return int(info["lag"]) + int(info["pending"])
    # Older Redis: read what is left (costly: this process then competes with the pipeline).
    undelivered = len(client.xrange(stream, f"({info['last-delivered-id']}", "+", count=100_000))
    return undelivered + int(info["pending"])


def wait_consuming(client: Any, stream: str, group: str) -> None:
    """Until the pipeline's consumer group exists (its process has started)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if group in {g["name"] for g in client.xinfo_groups(stream)}:
                return
        except Exception:  # no stream yet
            pass
        time.sleep(0.05)
    raise RuntimeError("the event consumers did not start")


def wait_drained(client: Any, stream: str, group: str, timeout: float = 300) -> float:
    started = time.monotonic()
    while pipeline_backlog(client, stream, group) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return time.monotonic() - started


class CpuGroups:
    """CPU cgroups of the benchmark's own, as systemd gives each unit when it runs the CPU
    controller (a unit's CPUWeight= is v2's cpu.weight; v1's cpu.shares is weight x 1024 / 100)."""

    def __init__(self) -> None:
        v2, v1 = Path("/sys/fs/cgroup/cgroup.controllers"), Path("/sys/fs/cgroup/cpu")
        if v2.exists() and "cpu" in v2.read_text():
            self.root, self.v2 = Path("/sys/fs/cgroup"), True
        elif v1.is_dir():
            self.root, self.v2 = v1, False
        else:
            raise SystemExit("--events-cpu-weight: no cgroup cpu controller here")
        self.made: list[Path] = []

    def place(self, pid: int, name: str, weight: int) -> None:
        group = self.root / f"bench-sms-{name}"
        if not group.exists():
            group.mkdir()
            self.made.append(group)
        if self.v2:
            (group / "cpu.weight").write_text(str(weight))
        else:
            (group / "cpu.shares").write_text(str(max(2, weight * 1024 // 100)))
        (group / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Each group made, once its processes have ended (a group with a task cannot go)."""
        for group in self.made:
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=4, help="per phase")
    parser.add_argument("--rounds", type=int, default=3,
                        help="bare and ours alternate this many times (the machine's other "
                             "load then weighs on both alike)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--load", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python",
                        help="load generator of the timed phases: wrk (C, requests prepared "
                             "beforehand; the default when installed) or the Python client")
    parser.add_argument("--prepared", type=int, default=120_000, metavar="N",
                        help="signed requests prepared per round for wrk (more than a phase "
                             "sends: each is sent once)")
    parser.add_argument("--web-processes", type=int, default=1, metavar="N",
                        help="web processes sharing the port (SO_REUSEPORT), as "
                             "`crisis up --web-processes N` runs them")
    parser.add_argument("--pipeline-in-web", action="store_true",
                        help="run the event consumers inside the web process (old model)")
    parser.add_argument("--events-nice", type=int, default=0, metavar="N",
                        help="lower the events process's priority by N more than its own "
                             "(experiments)")
    parser.add_argument("--events-cpu-weight", type=int, default=None, metavar="W",
                        help="put the web processes and the events process in CPU cgroups of "
                             "their own, as systemd units are when it runs the CPU controller, "
                             "the events one with CPUWeight=W (web: 100); needs root and a "
                             "writable cgroup v1 cpu or v2 hierarchy")
    parser.add_argument("--without-pipeline", action="store_true",
                        help="diagnosis only: nothing consumes the events during the load "
                             "(they are handled after it); not the benchmark's figure")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    cgroups: CpuGroups | None = None
    redis = EmbeddedRedis(data)
    redis.start()
    try:
        bare_port, port = free_port(), free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port)])
        env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
               "CRISIS_DATA_DIR": str(data), "CRISIS_PUBLIC_URL": PUBLIC,
               "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_API_BASE": "http://127.0.0.1:9", "CRISIS_LOG_LEVEL": "warning",
               "CRISIS_REDIS_PREFIX": "bench:"}
        import redis as redis_py
        client = redis_py.Redis(unix_socket_path=str(redis.socket_path), decode_responses=True)
        web_command = ["web"] if args.pipeline_in_web else ["web", "--no-events"]
        if args.web_processes > 1:
            web_command.append("--reuse-port")
        webs = [subprocess.Popen([sys.executable, "-m", "crisis", *web_command], env=env, cwd=data)
                for _ in range(args.web_processes)]
        events_command = ["nice", "-n", str(args.events_nice), sys.executable, "-m", "crisis",
                          "worker", "--events"]
        events = None if args.pipeline_in_web or args.without_pipeline else subprocess.Popen(
            events_command, env=env, cwd=data)
        wait_listening(bare_port)
        wait_listening(port)
        if args.events_cpu_weight is not None and events is not None:
            cgroups = CpuGroups()
            for web in webs:
                cgroups.place(web.pid, "web", 100)
            cgroups.place(events.pid, "events", args.events_cpu_weight)
        stream, group = "bench:events:conversations", "channels-inbound"
        if not args.without_pipeline:
            wait_consuming(client, stream, group)
        url = f"http://127.0.0.1:{port}/hooks/twilio/sms"
        redis_pid = int(client.info("server")["process_id"])
        pids = [p.pid for p in (*webs, events) if p is not None] + [redis_pid]
        cpu = dict.fromkeys([0, bare.pid, *pids], 0.0)
        loader = {"bare": 0.0, "ours": 0.0}
        base_sent = ours_sent = 0
        rounds: list[float] = []
        script = data / "load.lua"
        script.write_text(WRK_SCRIPT)

        def timed_load(target: str, bodies: Path, offset: int) -> int:
            """Requests answered in one phase; the load generator's CPU goes to LOADER_CPU."""
            if args.load == "python":
                return run_load(target, args.seconds, args.concurrency, offset=offset)[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            sent = run_wrk(target, args.seconds, args.concurrency, bodies, args.prepared, script)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            LOADER_CPU.append(after.ru_utime + after.ru_stime
                              - before.ru_utime - before.ru_stime)
            return sent

        for number in range(args.rounds):
            offset = (1 + number) * 1_000_000
            bodies = data / f"bodies-{number}.txt"
            if args.load == "wrk":  # one set per round: bare and ours get the same requests
                write_bodies(bodies, args.prepared, offset)
            # While the bare handler is measured, the pipeline (catching up on our previous
            # phase) is paused, so its work is counted in our phases only.
            if events is not None:
                events.send_signal(signal.SIGSTOP)
            before = cpu_seconds(bare.pid)
            sent = timed_load(f"http://127.0.0.1:{bare_port}/hooks/twilio/sms", bodies, offset)
            cpu[bare.pid] += cpu_seconds(bare.pid) - before
            loader["bare"] += LOADER_CPU[-1]
            base_sent += sent
            if events is not None:
                events.send_signal(signal.SIGCONT)
            before_ours = {pid: cpu_seconds(pid) for pid in pids}
            ours = timed_load(url, bodies, offset)
            for pid in pids:
                cpu[pid] += cpu_seconds(pid) - before_ours[pid]
            loader["ours"] += LOADER_CPU[-1]
            ours_sent += ours
            rounds.append(ours / sent)
        bare.terminate()
        bare.wait()
        measured = args.seconds * args.rounds
        base_rate, ours_rate = base_sent / measured, ours_sent / measured
        backlog = pipeline_backlog(client, stream, group)
        if args.without_pipeline:
            events = subprocess.Popen(events_command, env=env, cwd=data)
            wait_consuming(client, stream, group)
        drained = wait_drained(client, stream, group)
        half_sent, latencies = run_load(url, 8.0, args.concurrency, rate=ours_rate / 2,
                                        offset=8_000_000)
        wait_drained(client, stream, group)
        for web in webs:
            web.terminate()
            web.wait()
        if events is not None:
            events.terminate()
            events.wait()
        stored = sum(client.llen(key) for key in client.scan_iter("bench:ch:{c:*}:messages"))
        inbound = sum(1 for key in client.scan_iter("bench:ch:seen:sms:*"))
        latencies.sort()
        model = "pipeline in the web process" if events is None else "web + events process"
        print(f"{args.rounds} rounds of {args.seconds:.0f} s each, alternating, "
              f"{args.concurrency} connections, load from {args.load}")
        print(f"bare aiohttp handler: {base_rate:8.0f} req/s (CPU s: server {cpu[bare.pid]:.1f}, "
              f"load generator {loader['bare']:.1f}; server CPU per request "
              f"{cpu[bare.pid] / base_sent * 1e6:.0f} us)")
        print(f"inbound SMS webhook:  {ours_rate:8.0f} req/s   ratio {ours_rate / base_rate:.2f} "
              f"(goal >= 0.5; per round {', '.join(f'{r:.2f}' for r in rounds)}); model: {model}"
              + (" (DIAGNOSIS: pipeline stopped during the load)" if args.without_pipeline else "")
              + (f", events process at nice +{args.events_nice}" if args.events_nice else "")
              + (f", events in a cgroup of CPUWeight {args.events_cpu_weight} (web 100)"
                 if args.events_cpu_weight is not None else ""))
        web_cpu = sum(cpu[web.pid] for web in webs)
        print(f"CPU s in our phases: web {web_cpu:.1f} ({len(webs)} process(es))"
              + (f", events (pipeline) {cpu[events.pid]:.1f}" if events and events.pid in cpu
                 else "")
              + f", redis {cpu[redis_pid]:.1f}, load generator {loader['ours']:.1f}; web CPU "
              f"per request {web_cpu / ours_sent * 1e6:.0f} us; pipeline backlog at the "
              f"end {backlog} events, caught up in {drained:.1f} s"
              + (f" ({backlog / drained:.0f} events/s)" if drained > 0.5 else ""))
        print(f"at half rate ({ours_rate / 2:.0f} req/s): p50 "
              f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
              f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")
        acknowledged = ours_sent + half_sent
        # wrk does not count the requests still in flight when it stops; they are stored too.
        print(f"acknowledged {acknowledged}, persisted {inbound} distinct MessageSids "
              f"({stored} messages incl. automatic replies): "
              + ("every acknowledged message persisted" if inbound >= acknowledged
                 else f"{acknowledged - inbound} ACKNOWLEDGED AND MISSING"))
    finally:
        redis.stop()
        if cgroups is not None:
            cgroups.remove()


if __name__ == "__main__":
    main()
