"""Outbound reply jobs per second (one SMS through the twilio client each), by RQ worker class.

    python bench/bench_reply_jobs.py [--jobs 400] [--rounds 2]

The issue asks to pick RQ's worker class by measuring our jobs. Starts an embedded Redis and
the Twilio stand-in of the tests (testbed/twilio.py, real HTTP on loopback),
stores `--jobs` conversations each with one automatic reply waiting, then, in alternating
rounds, enqueues one `channels.sms.jobs.send_sms_job` per reply and lets one worker process
drain the `replies` queue in burst mode:
  1. baseline: RQ's default forking `Worker` (a new process per job), as `crisis worker`
     first ran it: each work horse imported the job's modules itself;
  2. the same with the job modules imported before working (forks inherit them);
  3. ours: `crisis.worker.CentreWorker` as `crisis worker` runs it (modules preloaded, reply
     sends in its own process, heavier jobs still forked).
Prints jobs/s of each (first job started to last job ended, from RQ's own timestamps), the
ratio, and checks that the stand-in received every SMS once. The sender's rate limit is set
out of the way (TWILIO_MESSAGES_PER_SECOND) so the workers, not the pacing, are measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import redis
from rq import Queue
from rq.job import Job

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testbed.ports import free_port, wait_listening  # noqa: E402
from channels.keys import ChannelKeys  # noqa: E402
from channels.store import ConversationStore  # noqa: E402
from crisis.context import open_context  # noqa: E402
from crisis.jobs import queue_name  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_server import EmbeddedRedis  # noqa: E402
from crisis.settings import load_settings  # noqa: E402
from crisis.types import ChannelKind, InboundMessage, utcnow  # noqa: E402

STANDIN = """
import sys
sys.path.insert(0, sys.argv[2])
from aiohttp import web
from testbed.twilio import TwilioStandIn
standin = TwilioStandIn()
app = standin.app()
async def count(request):
    return web.Response(text=str(len(standin.messages)))
app.router.add_get("/count", count)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
WORKER = """
import sys
from crisis.cli.processes import preload_job_modules
from crisis.worker import CentreWorker, bind_worker_settings, queues
from crisis.keys import Keys
from crisis.redis_client import sync_redis
from crisis.settings import load_settings
import os
from rq import Worker
settings = load_settings(os.environ)
url = settings.redis_url
bind_worker_settings(settings, url)
connection = sync_redis(url, decode=False)
kind = {"fork": Worker, "fork-preloaded": Worker, "centre": CentreWorker}[sys.argv[1]]
if sys.argv[1] != "fork":
    preload_job_modules()  # as `crisis worker` does
kind(queues(connection, Keys(settings.redis_prefix)), connection=connection).work(
    burst=True, logging_level="WARNING")
"""


async def prepare(env: dict[str, str], count: int) -> list[tuple[str, str, str]]:
    """`count` conversations, each with one outbound reply waiting: (conversation, message, text)."""
    settings = load_settings(env)
    ctx = open_context(settings, env["REDIS_URL"])
    store = ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)
    replies = []
    for n in range(count):
        received = await store.receive(InboundMessage(
            channel=ChannelKind.SMS, address=f"+3361{n:07d}", text="peut on boire l'eau du robinet",
            provider_id=f"SMbench{n:026d}", received_at=utcnow()))
        assert received is not None
        text = "Une inondation peut contaminer le reseau d'eau potable. Suivez les consignes."
        message = await store.add_outbound(received.conversation_id, text, "auto")
        replies.append((received.conversation_id, message.id, text))
    await ctx.close()
    return replies


def run_round(kind: str, env: dict[str, str], replies: list[tuple[str, str, str]]) -> float:
    """Jobs per second of one worker process of `kind` draining one job per reply."""
    connection = redis.Redis.from_url(env["REDIS_URL"])
    settings = load_settings(env)
    queue = Queue(queue_name(Keys(settings.redis_prefix), "replies"), connection=connection)
    jobs = [queue.enqueue("channels.sms.jobs.send_sms_job", *reply) for reply in replies]
    subprocess.run([sys.executable, "-c", WORKER, kind], env=env, check=True, cwd=ROOT)
    done = Job.fetch_many([j.id for j in jobs], connection=connection)
    assert all(j is not None and j.get_status() == "finished" for j in done), "a job failed"
    started = min(j.started_at for j in done if j and j.started_at)
    ended = max(j.ended_at for j in done if j and j.ended_at)
    connection.close()
    return len(jobs) / (ended - started).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400, help="jobs per round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    server = EmbeddedRedis(data)
    server.start()
    port = free_port()
    standin = subprocess.Popen([sys.executable, "-c", STANDIN, str(port), str(ROOT)])
    try:
        wait_listening(port)
        env = {**os.environ, "REDIS_URL": server.url, "CRISIS_DATA_DIR": str(data),
               "CRISIS_PUBLIC_URL": "https://bench.example", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
               "TWILIO_AUTH_TOKEN": "bench", "TWILIO_FROM": "+33700000000",
               "TWILIO_API_BASE": f"http://127.0.0.1:{port}", "TWILIO_MESSAGES_PER_SECOND": "100000",
               "CRISIS_LOG_LEVEL": "warning", "CRISIS_REDIS_PREFIX": "bench:"}
        replies = asyncio.run(prepare(env, args.jobs))
        rates: dict[str, list[float]] = {"fork": [], "fork-preloaded": [], "centre": []}
        for _ in range(args.rounds):
            for kind in rates:
                rates[kind].append(run_round(kind, env, replies))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count") as response:
            received = int(response.read())
        mean = {kind: sum(v) / len(v) for kind, v in rates.items()}
        print(f"{args.rounds} rounds of {args.jobs} send_sms_job jobs, one worker process each")
        labels = {"fork": "RQ forking Worker, as started (baseline)",
                  "fork-preloaded": "RQ forking Worker, job modules preloaded",
                  "centre": "CentreWorker, as `crisis worker` runs it"}
        for kind, label in labels.items():
            print(f"{label:42} {mean[kind]:7.1f} jobs/s  ratio {mean[kind] / mean['fork']:6.2f}"
                  "  (rounds: " + ", ".join(f"{r:.1f}" for r in rates[kind]) + ")")
        expected = len(rates) * args.rounds * args.jobs
        print(f"SMS received by the stand-in: {received} of {expected}")
        assert received == expected
    finally:
        standin.terminate()
        standin.wait()
        server.stop()


if __name__ == "__main__":
    main()
