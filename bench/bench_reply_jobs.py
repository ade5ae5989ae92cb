"""Outbound replies sent per second (one SMS each, to the Twilio stand-in) by one worker process,
by how it takes them.

    python bench/bench_reply_jobs.py [--jobs 400] [--rounds 2] [--kinds centre,stream]

Starts an embedded Redis and the Twilio stand-in of the tests (testbed/twilio.py, real HTTP
on loopback), stores `--jobs` conversations each with one automatic reply waiting per round,
then, in alternating rounds, lets one worker process send them in one of these ways:
  fork: RQ's forking `Worker` (a new process per job), as `crisis worker` first ran it, each
     job opening its own Redis connection and Twilio client (one `send_reply` job per reply);
  per-job: `CentreWorker` with a context built for each job and closed after it: reply sends
     in the worker's own process, but new connections per job (what send_sms_job did);
  centre: `CentreWorker` running one `send_reply` RQ job per reply on one event loop, Redis
     pool and Twilio HTTP session per process (crisis/worker_context.py): the per-job path
     `crisis worker` ran until the reply stream (the baseline of the ratios);
  stream: the reply stream as `crisis worker` consumes it now (channels/reply_consumer.py):
     up to 64 replies per XREADGROUP, sent concurrently, acknowledged in one round trip.
Prints replies/s of each (for RQ, first job started to last job ended, from RQ's own
timestamps; for the stream, the consumer's drain, its context built inside the timing), the
ratio to `centre` measured in the same run, the load average, and checks that the stand-in
received every SMS once. The sender's rate limit is set out of the way
(TWILIO_MESSAGES_PER_SECOND) so the workers, not the pacing, are measured.
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
from channels.reply_stream import ReplyStream  # noqa: E402
from channels.store import ConversationStore  # noqa: E402
from crisis.context import open_context  # noqa: E402
from crisis.jobs import queue_name  # noqa: E402
from crisis.keys import Keys  # noqa: E402
from crisis.redis_client import async_redis  # noqa: E402
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
preload_job_modules()  # as `crisis worker` does
import time
cpu = time.process_time()  # this process's CPU from here on (a forked job's is not seen)
if sys.argv[1] == "stream":
    from channels.reply_consumer import drain_replies
    from crisis.heartbeat import process_name
    started = time.perf_counter()
    sent = drain_replies(settings, url, process_name())
    print(sent, time.perf_counter() - started, time.process_time() - cpu)
else:
    kind = {"fork": ForkingWorker, "per-job": PerJobWorker, "centre": CentreWorker}[sys.argv[1]]
    kind(queues(connection, Keys(settings.redis_prefix)), connection=connection).work(
        burst=True, logging_level="WARNING")
    print(time.process_time() - cpu)
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


def run_round(kind: str, env: dict[str, str], replies: list[tuple[str, str, str]]
              ) -> tuple[float, float]:
    """Replies per second of one worker process of `kind` sending `replies`, and the worker
    process's CPU milliseconds per reply."""
    if kind == "stream":
        return run_stream_round(env, replies)
    connection = redis.Redis.from_url(env["REDIS_URL"])
    settings = load_settings(env)
    queue = Queue(queue_name(Keys(settings.redis_prefix), "replies"), connection=connection)
    jobs = [queue.enqueue("channels.outbound.send_reply", *reply) for reply in replies]
    output = subprocess.run([sys.executable, "-c", WORKER, kind], env=env, check=True,
                            cwd=ROOT, capture_output=True, text=True).stdout.split()
    done = Job.fetch_many([j.id for j in jobs], connection=connection)
    assert all(j is not None and j.get_status() == "finished" for j in done), "a job failed"
    started = min(j.started_at for j in done if j and j.started_at)
    ended = max(j.ended_at for j in done if j and j.ended_at)
    connection.close()
    return (len(jobs) / (ended - started).total_seconds(),
            1000 * float(output[-1]) / len(jobs))


def run_stream_round(env: dict[str, str], replies: list[tuple[str, str, str]]
                     ) -> tuple[float, float]:
    """The replies handed to the stream as the desk does (channels/outbox.py), then one
    worker's consumer drains it."""
    async def hand_over() -> None:
        client = async_redis(env["REDIS_URL"])
        stream = ReplyStream(client, ChannelKeys(Keys(load_settings(env).redis_prefix)))
        for reply in replies:
            await stream.add(*reply)
        await client.aclose()
    asyncio.run(hand_over())
    output = subprocess.run([sys.executable, "-c", WORKER, "stream"], env=env, check=True,
                            cwd=ROOT, capture_output=True, text=True).stdout.split()
    sent, seconds, cpu = int(output[-3]), float(output[-2]), float(output[-1])
    assert sent == len(replies), output
    return sent / seconds, 1000 * cpu / sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400, help="jobs per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kinds", default="centre,stream",
                        help="comma-separated, of fork, per-job, centre, stream")
    args = parser.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if "centre" not in kinds:
        kinds = ("centre", *kinds)  # the baseline of the ratios
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
        batches = iter(asyncio.run(prepare(env, args.jobs, args.rounds * len(kinds))))
        rates: dict[str, list[float]] = {kind: [] for kind in kinds}
        cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                rate, cpu_ms = run_round(kind, env, next(batches))
                rates[kind].append(rate)
                cpu[kind].append(cpu_ms)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count") as response:
            received = int(response.read())
        mean = {kind: sum(v) / len(v) for kind, v in rates.items()}
        cpu_mean = {kind: sum(v) / len(v) for kind, v in cpu.items()}
        print(f"{args.rounds} rounds of {args.jobs} replies, one worker process each; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        labels = {"fork": "RQ forking Worker, a job per reply",
                  "per-job": "CentreWorker, new connections per job",
                  "centre": "CentreWorker, a job per reply (baseline)",
                  "stream": "reply stream, batches (crisis worker)"}
        for kind in kinds:
            print(f"{labels[kind]:42} {mean[kind]:7.1f} replies/s  ratio "
                  f"{mean[kind] / mean['centre']:5.2f}  (rounds: "
                  + ", ".join(f"{r:.1f}" for r in rates[kind]) + ")")
        print("worker CPU per reply (the forking worker's jobs run in its children, unseen):")
        for kind in kinds:
            print(f"{labels[kind]:42} {cpu_mean[kind]:7.2f} ms  "
                  f"replies per CPU second, ratio {cpu_mean['centre'] / cpu_mean[kind]:5.2f}")
        expected = len(rates) * args.rounds * args.jobs
        print(f"SMS received by the stand-in: {received} of {expected}")
        assert received == expected
    finally:
        standin.terminate()
        standin.wait()
        server.stop()


if __name__ == "__main__":
    main()
