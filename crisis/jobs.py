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
from rq import Queue, Retry

from crisis.keys import Keys
from crisis.settings import Settings

QUEUE_NAMES = ("replies", "default", "bulk")


def queue_name(keys: Keys, name: str) -> str:
    return f"{keys.rq_queue_prefix}-{name}"


def queues(connection: redis.Redis, keys: Keys) -> list[Queue]:
    """The centre's queues, highest priority first (RQ workers listen in this order)."""
    return [Queue(queue_name(keys, n), connection=connection) for n in QUEUE_NAMES]


class Jobs:
    """Enqueues jobs; async methods run the blocking RQ call in a thread."""

    def __init__(self, connection: redis.Redis, keys: Keys) -> None:
        self.connection = connection
        self.keys = keys
        self._queues = {n: Queue(queue_name(keys, n), connection=connection) for n in QUEUE_NAMES}

    def enqueue(
        self, func_path: str, *args: Any, queue: str = "default", job_id: str | None = None,
        retries: int = 3, **kwargs: Any,
    ) -> str:
        """Enqueue `func_path(*args, **kwargs)`; retried with backoff (1 s, 5 s, 30 s...)."""
        retry = Retry(max=retries, interval=[1, 5, 30][:retries] or [1]) if retries else None
        job = self._queues[queue].enqueue_call(
            func_path, args=args, kwargs=kwargs, job_id=job_id, retry=retry,
            failure_ttl=7 * 24 * 3600, result_ttl=3600)
        return str(job.id)

    def enqueue_in(self, delay: dt.timedelta, func_path: str, *args: Any,
                   queue: str = "default") -> str:
        """Run later (the worker's scheduler moves it to the queue when due)."""
        return str(self._queues[queue].enqueue_in(delay, func_path, *args).id)

    async def enqueue_async(self, func_path: str, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.enqueue, func_path, *args, **kwargs)


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
