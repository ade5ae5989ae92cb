"""A worker's reply consumer: the replies of the stream (channels/reply_stream.py) sent in
batches, concurrently, over the process's kept-alive provider sessions.

One RQ job per reply cost more in RQ's own bookkeeping (dequeue, job hash, started and
finished registries, result: several round trips and a pickle) than the send itself
(docs/performance.md). Each `crisis worker` process instead forks one consumer process, with
its own event loop, Redis pool and provider clients (a WorkerContext of its own): it reads
up to BATCH replies in one XREADGROUP, sends them all at once through
`Outbound.send` (which skips a reply already sent, honours STOP and the senders' pacing, and
marks each provider call in flight), then acknowledges them in one round trip.

A reply whose send fails in a way retrying can mend (a provider error, the pacing saturated,
Redis gone for a moment) becomes a `send_reply` RQ job, due in RETRY_DELAY, retried with
RQ's backoff: the failed registry keeps it for the supervisors if it never goes. A reply
that could not even be handed over stays pending and is taken over later.
Every TAKE_OVER_EVERY_S (and first thing) the consumer takes over the pending replies of dead
consumers (a worker killed -9 mid-batch).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable

from channels.keys import ChannelKeys
from channels.outbound import SEND_REPLY_JOB, Outbound, outbound_kit
from channels.pacing import PACE_TIMEOUT_S
from channels.reply_stream import QueuedReply, ReplyStream
from crisis.abandoned_jobs import is_dead_local_process
from crisis.heartbeat import process_name
from crisis.jobs import Jobs
from crisis.metrics import JOBS
from crisis.parent_death import fork_child, name_this_process
from crisis.redis_client import sync_redis
from crisis.settings import Settings
from crisis.types import ChannelKind
from crisis.worker_context import WorkerContext

log = logging.getLogger(__name__)

BATCH = 64  # replies read, and sent concurrently, at once (at most: see batch_size)
# A batch's replies wait for the senders' pacing (channels/pacing.py) and give up after
# PACE_TIMEOUT_S into retry jobs: every consumer together holds at most this many seconds
# of the slowest sender's rate.
HOLD_S = PACE_TIMEOUT_S / 3
BLOCK_MS = 1000  # an idle consumer waits this long for a reply, then looks at its stop flag
TAKE_OVER_EVERY_S = 5.0
RETRY_DELAY = dt.timedelta(seconds=1)
RETRIES = 3
BATCH_TRIES = 3  # a batch failing as a whole (Redis away, bad data) is tried this often
STOP_WAIT_S = 60.0  # a stopping worker lets its batch finish (pacing waits are bounded)
PROCESS_NAME = "crisis-replies"  # its name in ps and /proc/PID/comm

Retry = Callable[[QueuedReply], Awaitable[None]]


def batch_size(slowest_per_second: float, consumers: int) -> int:
    """Replies one consumer reads at once: BATCH, unless the consumers together would then
    hold more than HOLD_S of the slowest sender's rate (with ten SMS a second and five
    workers, 64 each would wait 32 s for the pacing and time out into retry jobs)."""
    held = slowest_per_second * HOLD_S / max(1, consumers)
    return BATCH if not math.isfinite(held) else max(1, min(BATCH, int(held)))


def slowest_rate(settings: Settings) -> float:
    """The lowest per-second limit of the senders replies go through (SMS, Telegram, SMTP)."""
    rates = [settings.twilio_messages_per_second, settings.telegram_messages_per_second,
             settings.smtp_messages_per_second]
    if settings.twilio_account_messages_per_second:
        rates.append(settings.twilio_account_messages_per_second)
    return float(min(rates))
KINDS = frozenset(kind.value for kind in ChannelKind)


class ReplyConsumer:
    def __init__(self, kit: Outbound, stream: ReplyStream, name: str, retry: Retry,
                 is_dead: Callable[[str], bool] = is_dead_local_process,
                 slowest_per_second: float = float("inf")) -> None:
        self.kit = kit
        self.stream = stream
        self.name = name
        self.retry = retry
        self.is_dead = is_dead
        self.slowest_per_second = slowest_per_second
        self.batch = BATCH  # sized again at each take-over look (batch_size)

    async def send_batch(self, replies: list[QueuedReply]) -> None:
        """Send `replies` concurrently; acknowledge those sent, recorded failed or handed to
        a retry job."""
        sendable = [r for r in replies if r.kind in KINDS]
        outcomes = dict(zip(sendable, await self.kit.send_many(
            [(ChannelKind(r.kind), r.conversation_id, r.message_id) for r in sendable])))
        await self._settle_all([(r, outcomes.get(r, ValueError(f"unknown channel {r.kind!r}")))
                                for r in replies])

    async def _settle_all(self, outcomes: list[tuple[QueuedReply, str | BaseException]]) -> None:
        """Settle each reply, then acknowledge in one round trip those done with."""
        handled = await asyncio.gather(*(self._settle(r, outcome) for r, outcome in outcomes))
        await self.stream.done([r.entry_id for (r, _), ok in zip(outcomes, handled) if ok])

    async def _settle(self, reply: QueuedReply, outcome: str | BaseException) -> bool:
        """Whether `reply` is done with: sent or recorded failed, or its failure (one
        retrying may mend: a failed job would be retried) handed to a retry job."""
        if not isinstance(outcome, BaseException):
            JOBS.labels("replies", "done").inc()
            return True
        log.warning("reply send failed: retried by a job", extra={
            "conversation": reply.conversation_id, "message_id": reply.message_id,
            "error": str(outcome)})
        try:
            await self.retry(reply)
            return True
        except Exception:  # stays pending, taken over after CLAIM_IDLE_MS
            log.exception("reply could not be handed to a retry job",
                          extra={"message_id": reply.message_id})
            return False

    async def next_batch(self, block_ms: int | None, take_over: bool) -> list[QueuedReply]:
        """Dead consumers' replies first (when `take_over`), then new ones."""
        if take_over:
            self.batch = batch_size(self.slowest_per_second,
                                    await self.stream.live_consumers(self.name, self.is_dead))
            taken = await self.stream.take_over(self.name, self.is_dead, self.batch)
            if taken:
                log.warning("replies of a dead consumer taken over",
                            extra={"count": len(taken), "consumer": self.name})
                return taken
        return await self.stream.read(self.name, self.batch, block_ms)

    async def drain(self) -> int:
        """Send every reply waiting (and every dead consumer's), then return how many."""
        await self.stream.ensure_group()
        sent = 0
        while batch := await self.next_batch(None, take_over=True):
            await self.send_batch(batch)
            sent += len(batch)
        return sent

    async def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; Redis away is waited for, never a reason to stop."""
        next_take_over = 0.0
        ready = False
        unfinished: list[QueuedReply] = []  # a batch an error interrupted: tried again first
        failures = 0
        while not stop.is_set():
            try:
                if not ready:
                    await self.stream.ensure_group()
                    ready = True
                take_over = time.monotonic() >= next_take_over
                if take_over:
                    next_take_over = time.monotonic() + TAKE_OVER_EVERY_S
                unfinished = unfinished or await self.next_batch(BLOCK_MS, take_over)
                if unfinished and failures >= BATCH_TRIES:
                    await self.hand_to_jobs(unfinished)  # one of them may be what fails
                elif unfinished:
                    await self.send_batch(unfinished)
                unfinished, failures = [], 0
            except Exception:  # logged, then tried again: the process goes on
                log.exception("reply consumer: retrying in 1 s")
                ready = False
                failures += 1
                await asyncio.sleep(1.0)

    async def hand_to_jobs(self, replies: list[QueuedReply]) -> None:
        """A batch that kept failing as a whole: each reply becomes a retry job (RQ's failed
        registry keeps the one that never goes, for the supervisors)."""
        await self._settle_all([(r, RuntimeError("its batch kept failing")) for r in replies])


def _consumer(ctx: WorkerContext, name: str) -> ReplyConsumer:
    keys = ChannelKeys(ctx.keys)
    jobs = Jobs(sync_redis(ctx.redis_url, decode=False), ctx.keys)

    async def retry(reply: QueuedReply) -> None:
        await asyncio.to_thread(jobs.enqueue_in, RETRY_DELAY, SEND_REPLY_JOB, reply.kind,
                                reply.conversation_id, reply.message_id, queue="replies",
                                retries=RETRIES)
    return ReplyConsumer(outbound_kit(ctx), ReplyStream(ctx.redis, keys), name, retry,
                         slowest_per_second=slowest_rate(ctx.settings))


def drain_replies(settings: Settings, redis_url: str, name: str) -> int:
    """`crisis worker --burst`: send every waiting reply in this process; how many."""
    ctx = WorkerContext(settings, redis_url)
    try:
        return ctx.run(_consumer(ctx, name).drain())
    finally:
        ctx.close()


def start_reply_consumer(settings: Settings, redis_url: str) -> Callable[[], None]:
    """Fork the worker's consumer process; returns the function that stops it (it finishes
    its batch). A process, not a thread: the worker forks a work horse per job, and a fork
    while a thread holds a lock (a module being imported) left the horse waiting forever.
    Forked like RQ's scheduler, it dies with the worker (crisis/parent_death.py): killed -9,
    the worker leaves its consumer's unacknowledged replies to another worker's."""
    return fork_child(_consume, (settings, redis_url, os.getpid()), PROCESS_NAME, STOP_WAIT_S)


def _consume(settings: Settings, redis_url: str, worker_pid: int) -> None:
    """The consumer process: sends until its worker asks it to stop (SIGTERM), or dies with
    it (SIGTERM too, from the kernel: then at once, as a kill leaves it)."""
    stop = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        if os.getppid() != worker_pid:
            os._exit(1)  # the worker is gone: another worker takes over what this one holds
        stop.set()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker stops it, after its jobs
    name_this_process(PROCESS_NAME)
    ctx = WorkerContext(settings, redis_url)
    try:
        ctx.run(_consumer(ctx, process_name()).run(stop))
    finally:
        ctx.close()
