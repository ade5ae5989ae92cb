"""Outbound reply jobs per second (one SMS each, to the Twilio stand-in), by how a worker runs them.

    python bench/bench_reply_jobs.py [--jobs 400] [--rounds 2]

Starts an embedded Redis and the Twilio stand-in of the tests (testbed/twilio.py, real HTTP
on loopback), stores `--jobs` conversations each with one automatic reply waiting, then, in
alternating rounds, enqueues one `channels.outbound.send_reply` job per reply and lets one
worker process drain the `replies` queue in burst mode:
  1. baseline: RQ's forking `Worker` (a new process per job), as `crisis worker` first ran it,
     each job opening its own Redis connection and Twilio client;
  2. `CentreWorker` with a context built for each job and closed after it: reply sends in
     the worker's own process, but new connections per job (what send_sms_job did);
  3. ours: `CentreWorker` as `crisis worker` runs it: one event loop, Redis pool and Twilio
     HTTP session per process (crisis/worker_context.py), kept across jobs.
Prints jobs/s of each (first job started to last job ended, from RQ's own timestamps), the
ratio to the baseline, and checks that the stand-in received every SMS once. The sender's
rate limit is set out of the way (TWILIO_MESSAGES_PER_SECOND) so the workers, not the pacing,
are measured.
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

WORKER = """
import os
import sys
from rq import Worker
from crisis.cli.processes import preload_job_modules
from crisis.keys import Keys
from crisis.redis_client import sync_redis
from crisis.settings import load_settings
from crisis.worker import CentreWorker, bind_worker_settings, queues
from crisis.worker_context import CentreJob, bind_worker_context, close_worker_context

class JobWithFreshContext(CentreJob):
    def _execute(self):
        try:
            return super()._execute()
        finally:
            close_worker_context()

class PerJobWorker(CentreWorker):
    job_class = JobWithFreshContext

class ForkingWorker(Worker):
    job_class = JobWithFreshContext  # the context is built in each work horse anyway

settings = load_settings(os.environ)
url = settings.redis_url
bind_worker_settings(settings, url)
bind_worker_context(settings, url)
connection = sync_redis(url, decode=False)
kind = {"fork": ForkingWorker, "per-job": PerJobWorker, "centre": CentreWorker}[sys.argv[1]]
preload_job_modules()  # as `crisis worker` does
kind(queues(connection, Keys(settings.redis_prefix)), connection=connection).work(
    burst=True, logging_level="WARNING")
close_worker_context()
"""


async def prepare(env: dict[str, str], count: int, rounds: int
                  ) -> list[list[tuple[str, str, str]]]:
    """`count` conversations, each with one outbound reply waiting per round:
    (kind, conversation, message) for each round."""
    settings = load_settings(env)
    ctx = open_context(settings, env["REDIS_URL"])
    store = ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)
    replies = []
    conversations = []
    for n in range(count):
        received = await store.receive(InboundMessage(
            channel=ChannelKind.SMS, address=f"+3361{n:07d}", text="peut on boire l'eau du robinet",
            provider_id=f"SMbench{n:026d}", received_at=utcnow()))
        assert received is not None
        conversations.append(received.conversation_id)
    text = "Une inondation peut contaminer le reseau d'eau potable. Suivez les consignes."
    for _ in range(rounds):  # a new reply per conversation and round: a sent one is skipped
        round_replies = []
        for conversation_id in conversations:
            message = await store.add_outbound(conversation_id, text, "auto")
            round_replies.append(("sms", conversation_id, message.id))
        replies.append(round_replies)
    await ctx.close()
    return replies


def run_round(kind: str, env: dict[str, str], replies: list[tuple[str, str, str]]) -> float:
    """Jobs per second of one worker process of `kind` draining one job per reply."""
    connection = redis.Redis.from_url(env["REDIS_URL"])
    settings = load_settings(env)
    queue = Queue(queue_name(Keys(settings.redis_prefix), "replies"), connection=connection)
    jobs = [queue.enqueue("channels.outbound.send_reply", *reply) for reply in replies]
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
    standin = subprocess.Popen([sys.executable, "-m", "testbed.twilio_server", str(port)],
                               cwd=ROOT)
    try:
        wait_listening(port)
        env = {**os.environ, "REDIS_URL": server.url, "CRISIS_DATA_DIR": str(data),
               "CRISIS_PUBLIC_URL": "https://bench.example", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
               "TWILIO_AUTH_TOKEN": "bench", "TWILIO_FROM": "+33700000000",
               "TWILIO_API_BASE": f"http://127.0.0.1:{port}", "TWILIO_MESSAGES_PER_SECOND": "100000",
               "CRISIS_LOG_LEVEL": "warning", "CRISIS_REDIS_PREFIX": "bench:"}
        kinds = ("fork", "per-job", "centre")
        batches = iter(asyncio.run(prepare(env, args.jobs, args.rounds * len(kinds))))
        rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                rates[kind].append(run_round(kind, env, next(batches)))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count") as response:
            received = int(response.read())
        mean = {kind: sum(v) / len(v) for kind, v in rates.items()}
        print(f"{args.rounds} rounds of {args.jobs} send_reply jobs, one worker process each")
        labels = {"fork": "RQ forking Worker, as started (baseline)",
                  "per-job": "CentreWorker, new connections per job",
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
