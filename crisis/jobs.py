"""Background jobs on RQ: queue names and enqueueing by dotted path.

The core never imports the edge packages: a job is named by its dotted path
("static_site.jobs.build_site"), and the worker process imports it.
Queues are listed by priority: a worker always drains `replies` (a citizen is waiting)
before `default`, and `default` before `bulk` (broadcasts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.job import Job
from rq.queue import EnqueueData

from crisis.keys import Keys
from crisis.settings import Settings

QUEUE_NAMES = ("replies", "default", "bulk")
# Queues whose jobs run in the worker's own process (see CentreWorker).
IN_PROCESS_QUEUES = frozenset({"replies"})
RESULT_TTL_S = 3600
FAILURE_TTL_S = 7 * 24 * 3600  # a failed send stays a week for the supervisors to see


def queue_name(keys: Keys, name: str) -> str:
    return f"{keys.rq_queue_prefix}-{name}"


def queues(connection: redis.Redis, keys: Keys) -> list[Queue]:
    """The centre's queues, highest priority first (RQ workers listen in this order)."""
    return [Queue(queue_name(keys, n), connection=connection) for n in QUEUE_NAMES]


def _retry(retries: int) -> Retry | None:
    """Backoff 1 s, 5 s, 30 s..."""
    return Retry(max=retries, interval=[1, 5, 30][:retries] or [1]) if retries else None


class Jobs:
    """Enqueues jobs; async methods run the blocking RQ call in a thread.

    `enqueue_async` batches: calls made while a batch is being written to Redis are written
    together in the next one (one pipeline, one thread hop). Alone, a call waits for nothing;
    under a burst (thousands of automatic replies) the per-job cost falls several-fold, which
    is what lets one events process keep up with the webhooks."""

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        self.connection = connection
        self.keys = keys
        self._queues = {n: Queue(queue_name(keys, n), connection=connection) for n in QUEUE_NAMES}
        self._waiting: dict[str, list[tuple[EnqueueData, asyncio.Future[str]]]] = {}
        self._flushing: set[str] = set()

    def enqueue(
        self, func_path: str, *args: Any, queue: str = "default", job_id: str | None = None,
        retries: int = 3, **kwargs: Any,
    ) -> str:
        """Enqueue `func_path(*args, **kwargs)`; retried with backoff (1 s, 5 s, 30 s...)."""
        job = self._queues[queue].enqueue_call(
            func_path, args=args, kwargs=kwargs, job_id=job_id, retry=_retry(retries),
            failure_ttl=FAILURE_TTL_S, result_ttl=RESULT_TTL_S)
        return str(job.id)

    def enqueue_in(self, delay: dt.timedelta, func_path: str, *args: Any,
                   queue: str = "default") -> str:
        """Run later (the worker's scheduler moves it to the queue when due)."""
        return str(self._queues[queue].enqueue_in(delay, func_path, *args).id)

    async def enqueue_async(
        self, func_path: str, *args: Any, queue: str = "default", job_id: str | None = None,
        retries: int = 3, **kwargs: Any,
    ) -> str:
        """`enqueue` without blocking the loop; returns once the job is in Redis."""
        data = Queue.prepare_data(func_path, args=args, kwargs=kwargs, job_id=job_id,
                                  retry=_retry(retries), failure_ttl=FAILURE_TTL_S,
                                  result_ttl=RESULT_TTL_S)
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(queue, []).append((data, done))
        if queue not in self._flushing:
            self._flushing.add(queue)
            asyncio.get_running_loop().create_task(self._flush(queue))
        return await done

    async def _flush(self, queue: str) -> None:
        try:
            while batch := self._waiting.pop(queue, []):
                try:
                    ids = await asyncio.to_thread(self._enqueue_many, queue,
                                                  [data for data, _ in batch])
                except Exception as error:  # every caller hears of it; none is lost silently
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for (_, done), job_id in zip(batch, ids):
                    if not done.done():
                        done.set_result(job_id)
        finally:
            self._flushing.discard(queue)

    def _enqueue_many(self, queue: str, datas: list[EnqueueData]) -> list[str]:
        ids: list[str] = []
        for run in _runs_without_repeated_ids(datas):
            with self.connection.pipeline() as pipe:
                jobs = self._queues[queue].enqueue_many(run, pipeline=pipe)
                pipe.execute()
            ids.extend(str(job.id) for job in jobs)
        return ids


def _runs_without_repeated_ids(datas: list[EnqueueData]) -> list[list[EnqueueData]]:
    """The batch cut where a job id comes again: RQ refuses a batch naming one job twice, and
    the second call must land after the first, as two `enqueue` calls would."""
    runs: list[list[EnqueueData]] = [[]]
    seen: set[str] = set()
    for data in datas:
        if data.job_id is not None and data.job_id in seen:
            runs.append([])
            seen.clear()
        if data.job_id is not None:
            seen.add(data.job_id)
        runs[-1].append(data)
    return runs


class CentreWorker(Worker):
    """RQ's forking worker, except for the jobs of IN_PROCESS_QUEUES, run in its own process.

    A fork per job isolates the heavy ones (site builds, imports, purges): a crash or a leak
    dies with the work horse. Reply sends are small, I/O-bound and come by thousands a minute
    in a surge, where a fork per SMS capped a worker several times lower
    (bench/bench_reply_jobs.py). A send that crashes the process is retried by RQ once the
    supervisor has restarted the worker."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        if queue.name.rsplit("-", 1)[-1] in IN_PROCESS_QUEUES:
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
