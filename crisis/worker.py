"""The worker side of the background jobs: RQ's queues in priority order, the worker class
`crisis worker` runs, and the settings a job reads back (crisis/jobs.py enqueues them)."""

from __future__ import annotations

import math
import time
from typing import Any

import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from crisis.abandoned_jobs import hand_back_jobs_of_dead_workers, release_dead_schedulers
from crisis.jobs import QUEUE_NAMES, queue_name
from crisis.keys import Keys
from crisis.metrics import JOBS
from crisis.settings import Settings
from crisis.worker_context import CentreJob

HAND_BACK_EVERY_S = 5.0
# Queues whose jobs run in the worker's own process (see CentreWorker).
IN_PROCESS_QUEUES = frozenset({"replies"})


def queues(connection: redis.Redis, keys: Keys) -> list[Queue]:
    """The centre's queues, highest priority first (RQ workers listen in this order)."""
    return [Queue(queue_name(keys, n), connection=connection) for n in QUEUE_NAMES]


def _short(queue: Queue) -> str:
    """The queue's name without the centre's prefix: replies, default, bulk."""
    return str(queue.name).rsplit("-", 1)[-1]


class CentreWorker(Worker):
    """RQ's forking worker, except for the jobs of IN_PROCESS_QUEUES, run in its own process.

    A fork per job isolates the heavy ones (site builds, imports, purges): a crash or a leak
    dies with the work horse. Reply sends are small, I/O-bound and come by thousands a minute
    in a surge, where a fork per SMS capped a worker several times lower
    (bench/bench_reply_jobs.py). A send that crashes the process is retried by RQ once the
    supervisor has restarted the worker.

    Its jobs are CentreJobs: a reply job runs on the process's one event loop with the
    process's Redis and provider clients (crisis/worker_context.py)."""

    job_class = CentreJob

    _handed_back_at = 0.0

    def dequeue_job_and_maintain_ttl(self, timeout: int | None,
                                     max_idle_time: int | None = None) -> Any:
        if timeout is None:  # burst: one look at the queues, then the worker quits
            # It never takes a scheduler over: RQ ran the scheduled jobs in it at its start.
            self._tend_neighbours(scheduling=False)
            return super().dequeue_job_and_maintain_ttl(None, max_idle_time)
        # RQ blocks an idle worker in one wait of up to `timeout` (405 s by default): this one
        # wakes every HAND_BACK_EVERY_S to look after its dead neighbours, then listens again.
        idle_since = time.monotonic()
        while True:
            self._tend_neighbours(scheduling=True)
            wake = int(HAND_BACK_EVERY_S)
            if max_idle_time is not None:
                left = math.ceil(max_idle_time - (time.monotonic() - idle_since))
                if left <= 0:
                    return None
                wake = min(wake, left)
            # With an idle limit RQ's wait returns None at its end instead of waiting again.
            found = super().dequeue_job_and_maintain_ttl(min(timeout, wake), wake)
            if found is not None:
                return found

    def _tend_neighbours(self, *, scheduling: bool) -> None:
        """At most every HAND_BACK_EVERY_S, busy or idle: the jobs of dead neighbours handed
        back, and RQ's scheduler taken over when its holder died (a few Redis calls)."""
        if time.monotonic() - self._handed_back_at <= HAND_BACK_EVERY_S:
            return
        self._handed_back_at = time.monotonic()
        hand_back_jobs_of_dead_workers(self.connection, self.queues)
        # A dead neighbour's scheduler on this machine: its lock freed now rather than at
        # its TTL (61 s). Then, as RQ's maintenance does every 10 minutes, this worker bids
        # for a free lock: the jobs handed back (retried after 1 s) do not wait, and a dead
        # worker's scheduler on another machine is taken over when its lock expires.
        if not scheduling:
            return
        release_dead_schedulers(self.connection, self.queues)
        scheduler = self.scheduler
        if scheduler and (not scheduler._process or not scheduler._process.is_alive()):
            scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]

    def run_maintenance_tasks(self) -> None:
        # First thing at start-up too: a worker restarted after a kill -9 hands its
        # predecessor's jobs back at once (crisis/abandoned_jobs.py).
        hand_back_jobs_of_dead_workers(self.connection, self.queues)
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]

    # Counted where RQ records the outcome: in the work horse for a forked job (its samples
    # reach /metrics through PROMETHEUS_MULTIPROC_DIR), in the worker for a reply or for a
    # work horse that died (the worker then fails its job).
    def handle_job_success(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        super().handle_job_success(job, queue, *args, **kwargs)
        JOBS.labels(_short(queue), "done").inc()

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        super().handle_job_failure(job, queue, *args, **kwargs)
        JOBS.labels(_short(queue), "failed").inc()

    def execute_job(self, job: Job, queue: Queue) -> None:
        if _short(queue) in IN_PROCESS_QUEUES:
            SimpleWorker.execute_job(self, job, queue)  # type: ignore[arg-type]
        else:
            super().execute_job(job, queue)


# RQ gives jobs no way to receive objects: the worker's entry point binds its Settings here
# once, before working, and jobs read them back (forked job processes inherit them).
_worker_settings: Settings | None = None
_worker_redis_url = ""


def bind_worker_settings(settings: Settings, redis_url: str) -> None:
    global _worker_settings, _worker_redis_url
    _worker_settings, _worker_redis_url = settings, redis_url


def worker_settings() -> tuple[Settings, str]:
    """The settings and Redis URL of the worker running this job."""
    if _worker_settings is None:
        raise RuntimeError("job run outside `crisis worker`: call bind_worker_settings first")
    return _worker_settings, _worker_redis_url
