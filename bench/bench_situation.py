"""Benchmark: the situation view for wall screens, in one run against bare aiohttp baselines.

    python bench/bench_situation.py [--screens 50] [--changes 20] [--requests 200]

Starts an embedded Redis, fills the watch as a busy crisis would (two live crises, 2,000
signals normalised with their trends and trending terms, three rumours, the demo polls,
three feeds, the latest signals) and runs `crisis web --no-events` with a 200 ms stream
period, plus a bare aiohttp process (this file with --bare) as the baseline. Then:

(a) render: p50/p99 of GET /cell/situation (the whole page) and of ?fragment=1 (the figures
    region the stream sends), sequential, against the bare process returning a static body
    of the same size (what HTTP and aiohttp cost at least);
(b) fan-out: `--screens` wall screens hold /cell/situation/stream open; `--changes` times a
    signal is counted (one XADD to the intake, as the API does); for each change, the time
    from the write to every screen having read the new `figures` frame (p50/p99 over
    screens x changes), the spread first -> last screen, and the web process's CPU during
    the phase. Baseline: the bare process pushing a frame of the same size to the same
    number of screens on a POST (the time from the POST to every screen).
The stream waits for its next period to see a change (0-200 ms here, 0-2 s by default):
that wait is in "write -> screen", not in the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testbed.ports import free_port, wait_listening  # noqa: E402

SECRET = "bench-secret-key"
PREFIX = "bsituation:"
PERIOD_MS = 200


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the bare baseline process ---

def bare_app() -> web.Application:
    """A static body of any size, and a bare SSE fan-out: a POST pushes one frame to all."""
    screens: set[web.StreamResponse] = set()

    async def static(request: web.Request) -> web.Response:
        return web.Response(text="x" * int(request.query["size"]), content_type="text/html")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        screens.add(response)
        try:
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(1)
        finally:
            screens.discard(response)
        return response

    async def change(request: web.Request) -> web.Response:
        size = int(request.query["size"])
        frame = (f"id: {request.query['id']}\nevent: figures\ndata: " + "x" * size + "\n\n").encode()
        for response in list(screens):
            await response.write(frame)
        return web.Response(text=str(len(screens)))

    app = web.Application()
    app.router.add_get("/static", static)
    app.router.add_get("/stream", stream)
    app.router.add_post("/change", change)
    return app


# --- filling the watch ---

async def fill(redis_url: str, env: dict[str, str]) -> str:
    """A busy watch in Redis; returns a cell member's session cookie."""
    from crisis.activation import activate_scenario
    from crisis.context import open_context
    from crisis.settings import load_settings
    from crisis.types import Principal, Role
    from monitoring.feeds import Feeds
    from monitoring.intake import add_signals, ensure_group, normalise_once
    from monitoring.keys import WatchKeys
    from monitoring.polls import Polls, read_poll_file
    from monitoring.signal import parse_signal_line
    from monitoring.term_store import TermTally
    from monitoring.watch_keywords import keywords_key
    from monitoring.watchlist import Claim, Rumours

    ctx = open_context(load_settings(env), redis_url)
    keys = WatchKeys(ctx.keys)
    cell = Principal("bench", Role.CELL)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75", "92", "94"],
                            level=2, actor=cell, title="Crue de la Seine")
    await activate_scenario(ctx.crises, ctx.publications, "canicule", areas=["13"], level=1,
                            actor=cell, title="Canicule en Provence")
    rumours = Rumours(ctx.redis, keys)
    for claim_id, claim in (("barrage", "le barrage va céder"), ("eau", "l'eau est empoisonnée"),
                            ("pillage", "des pillages à Créteil")):
        await rumours.put(Claim(id=claim_id, claim=claim))
    await Polls(ctx.redis, keys).put(read_poll_file(ROOT / "monitoring" / "data" / "demo_polls.csv"))
    feeds = Feeds(ctx.redis, keys)
    for name in ("prefecture", "france-info", "ouest-france"):
        await feeds.add(f"https://{name}.example/rss.xml", name=name)
    demo = (ROOT / "monitoring" / "data" / "demo_signals.jsonl").read_text("utf-8").splitlines()
    rng = random.Random(16)
    now = dt.datetime.now(dt.timezone.utc)
    lines = []
    for i in range(2000):
        line = json.loads(rng.choice(demo))
        line["time"] = (now - dt.timedelta(seconds=rng.randint(0, 3000))).isoformat()
        line["text"] += f" #{i}"
        lines.append(json.dumps(line, ensure_ascii=False).encode())
    await add_signals(ctx.redis, keys, [parse_signal_line(line) for line in lines])
    await ensure_group(ctx.redis, keys)
    tally = TermTally()
    done = 0
    while done < len(lines):
        done += await normalise_once(ctx.redis, keys, keywords_key(ctx),
                                     consumer="bench", block_ms=None, tally=tally)
    await tally.flush(ctx.redis, keys)
    cookie, _session = await ctx.accounts.open_session(cell, 1)
    await ctx.close()
    return cookie


class SignalCounter:
    """Counts one more signal received (the watch's intake figure changes), as the API does."""

    def __init__(self, redis_url: str, env: dict[str, str]) -> None:
        from crisis.context import open_context
        from crisis.settings import load_settings
        self.ctx = open_context(load_settings(env), redis_url)

    async def count(self, n: int) -> float:
        """Write one signal; the time the write was sent (perf_counter: add_signals does
        more after its XADD, and the stream may see the change before it returns)."""
        from monitoring.intake import add_signals
        from monitoring.keys import WatchKeys
        from monitoring.signal import parse_signal_line
        line = json.dumps({"source": "social", "time": dt.datetime.now(dt.timezone.utc).isoformat(),
                           "text": f"le pont de Bercy est fermé #{n}"}).encode()
        signal = parse_signal_line(line)
        sent = time.perf_counter()
        await add_signals(self.ctx.redis, WatchKeys(self.ctx.keys), [signal])
        return sent


# --- measures ---

async def breakdown(redis_url: str, env: dict[str, str], count: int) -> tuple[list[float], list[float]]:
    """Where a render's time goes, in this process on the same data: the figures from Redis
    (situation_body, every package's section) and the figures region's template."""
    from aiohttp.test_utils import make_mocked_request

    from crisis.app import build_app
    from crisis.settings import load_settings
    from crisis.types import Principal, Role
    from crisis.web.app_keys import CONTEXT, PRINCIPAL
    from crisis.web.situation_api import situation_body
    from monitoring.situation_page import figures_html

    app = build_app(load_settings(env), redis_url, consume_events=False)
    request = make_mocked_request("GET", "/cell/situation/stream", app=app)
    request[PRINCIPAL] = Principal("bench", Role.CELL, "session")
    computing, rendering = [], []
    for _ in range(count):
        started = time.perf_counter()
        body = await situation_body(app[CONTEXT])
        computed = time.perf_counter()
        await figures_html(request, body, True)
        rendering.append(time.perf_counter() - computed)
        computing.append(computed - started)
    await app[CONTEXT].close()
    return computing, rendering


async def timed_gets(http: aiohttp.ClientSession, url: str, count: int,
                     headers: dict[str, str] | None = None) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(count):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            body = await response.read()
            assert response.status == 200, response.status
        times.append(time.perf_counter() - started)
        size = len(body)
    return times, size


class Screens:
    """`count` open streams, each recording when it finished reading each new frame id."""

    def __init__(self) -> None:
        self.arrivals: list[dict[str, float]] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, http: aiohttp.ClientSession, url: str, count: int,
                   headers: dict[str, str] | None = None) -> None:
        for _ in range(count):
            response = await http.get(url, headers=headers)
            assert response.status == 200, response.status
            mine: dict[str, float] = {}
            self.arrivals.append(mine)
            self.tasks.append(asyncio.create_task(self._read(response, mine)))

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, mine: dict[str, float]) -> None:
        frame_id, name = None, None
        while line := await response.content.readline():
            if line.startswith(b"id: "):
                frame_id = line[4:].strip().decode()
            elif line.startswith(b"event: "):
                name = line[7:].strip().decode()
            elif line == b"\n":
                if name == "figures" and frame_id is not None:
                    mine.setdefault(frame_id, time.perf_counter())
                frame_id, name = None, None

    async def all_have(self, known: set[str], since: float = 0.0,
                       timeout: float = 10.0) -> tuple[str, list[float]]:
        """Wait until every screen has a frame id outside `known` read after `since` (a frame
        of the watch's own, e.g. a trend window closing, is not the change measured); that
        id and its arrivals."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            fresh = [{k: v for k, v in a.items() if k not in known and v >= since}
                     for a in self.arrivals]
            if all(fresh):
                new_id = min(fresh[0], key=fresh[0].__getitem__)
                if all(new_id in f for f in fresh):
                    return new_id, [f[new_id] for f in fresh]
            await asyncio.sleep(0.002)
        raise TimeoutError("not every screen got the new frame")

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()


async def measure(base: str, bare: str, cookie: str, redis_url: str, env: dict[str, str],
                  web_pid: int, bare_pid: int, args: argparse.Namespace) -> None:
    headers = {"Cookie": f"crisis_session={cookie}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await timed_gets(http, f"{base}/cell/situation", 10, headers)  # warm up
        page, page_size = await timed_gets(http, f"{base}/cell/situation", args.requests, headers)
        fragment, fragment_size = await timed_gets(
            http, f"{base}/cell/situation?fragment=1", args.requests, headers)
        await timed_gets(http, f"{bare}/static?size={page_size}", 10)
        bare_page, _ = await timed_gets(http, f"{bare}/static?size={page_size}", args.requests)
        bare_fragment, _ = await timed_gets(http, f"{bare}/static?size={fragment_size}",
                                            args.requests)
        print(f"(a) render, {args.requests} sequential GETs each "
              f"(page {page_size:,} B, fragment {fragment_size:,} B):")
        for name, ours, base_times in (("page", page, bare_page),
                                       ("fragment", fragment, bare_fragment)):
            print(f"  {name:<9} p50 {statistics.median(ours) * 1000:6.1f} ms, p99 "
                  f"{percentile(ours, 0.99) * 1000:6.1f} ms | bare same-size body p50 "
                  f"{statistics.median(base_times) * 1000:5.2f} ms, p99 "
                  f"{percentile(base_times, 0.99) * 1000:5.2f} ms | ratio of p99s "
                  f"{percentile(ours, 0.99) / percentile(base_times, 0.99):.1f}")

        computing, rendering = await breakdown(redis_url, env, args.requests // 2)
        print(f"  of which, in-process: the figures (situation_body) p50 "
              f"{statistics.median(computing) * 1000:.1f} ms, the region's template p50 "
              f"{statistics.median(rendering) * 1000:.1f} ms")

        # (b) ours: screens on the stream, a signal counted per change.
        screens = Screens()
        await screens.open(http, f"{base}/cell/situation/stream", args.screens, headers)
        known, _ = await screens.all_have(set())
        seen = {known}
        latencies, spreads = [], []
        counter = SignalCounter(redis_url, env)
        await asyncio.sleep(1.0)
        spontaneous = len(screens.arrivals[0]) - 1  # frames with no change of ours (expect 0)
        cpu_before, wall_before = cpu_seconds(web_pid), time.perf_counter()
        for n in range(args.changes):
            written = await counter.count(n)
            new_id, arrivals = await screens.all_have(seen, written)
            seen.add(new_id)
            latencies += [a - written for a in arrivals]
            spreads.append(max(arrivals) - min(arrivals))
            await asyncio.sleep(0.25)  # let the period settle, as real changes are spaced
        cpu = cpu_seconds(web_pid) - cpu_before
        wall = time.perf_counter() - wall_before
        frames = len(screens.arrivals[0]) - 1 - args.changes  # the watch's own changes
        screens.close()
        await counter.ctx.close()

        # (b) baseline: the bare fan-out of a same-size frame.
        bare_screens = Screens()
        await bare_screens.open(http, f"{bare}/stream", args.screens)
        await asyncio.sleep(0.2)
        bare_latencies, bare_spreads = [], []
        bare_seen: set[str] = set()
        bare_cpu_before, bare_wall_before = cpu_seconds(bare_pid), time.perf_counter()
        for n in range(args.changes):
            posted = time.perf_counter()
            async with http.post(f"{bare}/change?size={fragment_size}&id=c{n}") as response:
                assert int(await response.text()) == args.screens
            new_id, arrivals = await bare_screens.all_have(bare_seen, posted)
            bare_seen.add(new_id)
            bare_latencies += [a - posted for a in arrivals]
            bare_spreads.append(max(arrivals) - min(arrivals))
            await asyncio.sleep(0.25)
        bare_cpu = cpu_seconds(bare_pid) - bare_cpu_before
        bare_wall = time.perf_counter() - bare_wall_before
        bare_screens.close()
    print(f"(b) fan-out to {args.screens} screens, {args.changes} changes "
          f"(stream period {PERIOD_MS} ms; frames of {fragment_size:,} B; {frames} frames "
          f"of the watch's own besides, {spontaneous} in 1 s idle before):")
    print(f"  change -> every screen   p50 {statistics.median(latencies) * 1000:6.1f} ms, p99 "
          f"{percentile(latencies, 0.99) * 1000:6.1f} ms | bare POST -> every screen p50 "
          f"{statistics.median(bare_latencies) * 1000:5.1f} ms, p99 "
          f"{percentile(bare_latencies, 0.99) * 1000:5.1f} ms | ratio of p99s "
          f"{percentile(latencies, 0.99) / percentile(bare_latencies, 0.99):.1f}")
    print(f"  first -> last screen     p50 {statistics.median(spreads) * 1000:6.1f} ms, p99 "
          f"{percentile(spreads, 0.99) * 1000:6.1f} ms | bare p50 "
          f"{statistics.median(bare_spreads) * 1000:5.1f} ms, p99 "
          f"{percentile(bare_spreads, 0.99) * 1000:5.1f} ms")
    print(f"  web process CPU          {cpu / wall * 100:5.1f} % of a core over {wall:.1f} s "
          f"({cpu / args.changes * 1000:.0f} ms per change, the period's checks included) | "
          f"bare {bare_cpu / bare_wall * 100:.1f} % ({bare_cpu / args.changes * 1000:.0f} ms "
          f"per change) | ratio {cpu / max(bare_cpu, 0.01):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)  # the baseline process
    args = parser.parse_args()
    if args.bare:
        web.run_app(bare_app(), host="127.0.0.1", port=args.bare, print=None, access_log=None)
        return
    from crisis.redis_server import EmbeddedRedis
    data = Path(tempfile.mkdtemp(prefix="bench-situation-"))
    redis = EmbeddedRedis(data)
    redis.start()
    port, bare_port = free_port(), free_port()
    env = {**os.environ, "REDIS_URL": redis.url, "CRISIS_PORT": str(port),
           "CRISIS_DATA_DIR": str(data), "CRISIS_LOG_LEVEL": "warning",
           "CRISIS_REDIS_PREFIX": PREFIX, "CRISIS_SECRET_KEY": SECRET,
           "CRISIS_SITUATION_PERIOD_MS": str(PERIOD_MS)}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cookie = asyncio.run(fill(redis.url, env))
        processes.append(subprocess.Popen([sys.executable, "-m", "crisis", "web", "--no-events"],
                                          env=env, cwd=data))
        processes.append(subprocess.Popen([sys.executable, __file__, "--bare", str(bare_port)]))
        wait_listening(port)
        wait_listening(bare_port)
        import platform
        print(f"{platform.node()} {platform.python_version()}, load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        asyncio.run(measure(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}",
                            cookie, redis.url, env, processes[0].pid, processes[1].pid, args))
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        redis.stop()


if __name__ == "__main__":
    main()
