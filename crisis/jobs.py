"""Background jobs on RQ: queue names and enqueueing by dotted path (crisis/worker.py runs them).

The core never imports the edge packages: a job is named by its dotted path
("static_site.jobs.build_site"), and the worker process imports it.
Queues are listed by priority: a worker always drains `replies` (a citizen is waiting)
before `default`, and `default` before `bulk` (broadcasts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from typing import TYPE_CHECKING

import redis

from crisis.keys import Keys

if TYPE_CHECKING:
    from rq import Queue, Retry
    from rq.queue import EnqueueData

# rq is imported where it is used: a command that only reads the centre (`crisis status`)
# opens a Context, which holds a Jobs, and should not pay for loading rq (bench/bench_cli.py).

QUEUE_NAMES = ("replies", "default", "bulk")
RESULT_TTL_S = 3600
FAILURE_TTL_S = 7 * 24 * 3600  # a failed send stays a week for the supervisors to see


def queue_name(keys: Keys, name: str) -> str:
    return f"{keys.rq_queue_prefix}-{name}"


def _retry(retries: int) -> Retry | None:
    """Backoff 1 s, 5 s, 30 s..."""
    from rq import Retry

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
        self._queue_objects: dict[str, Queue] = {}
        self._waiting: dict[str, list[tuple[EnqueueData, asyncio.Future[str]]]] = {}
        self._flushing: set[str] = set()

    @property
    def _queues(self) -> dict[str, Queue]:
        if not self._queue_objects:
            from rq import Queue

            self._queue_objects = {n: Queue(queue_name(self.keys, n), connection=self.connection)
                                   for n in QUEUE_NAMES}
        return self._queue_objects

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
                   queue: str = "default", retries: int = 0) -> str:
        """Run later (the worker's scheduler moves it to the queue when due); when it fails,
        retried `retries` times with backoff (1 s, 5 s, 30 s...)."""
        retry: dict[str, Any] = {} if not retries else {
            "retry": _retry(retries), "failure_ttl": FAILURE_TTL_S, "result_ttl": RESULT_TTL_S}
        return str(self._queues[queue].enqueue_in(delay, func_path, *args, **retry).id)

    async def enqueue_async(
        self, func_path: str, *args: Any, queue: str = "default", job_id: str | None = None,
        retries: int = 3, **kwargs: Any,
    ) -> str:
        """`enqueue` without blocking the loop; returns once the job is in Redis."""
        from rq import Queue

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
