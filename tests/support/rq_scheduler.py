"""Which process runs RQ's scheduler for a centre: read from its lock and its record in Redis,
as crisis/abandoned_jobs.py does (a forked scheduler's process name is its worker's, like a
work horse's, so /proc cannot tell them apart)."""

from __future__ import annotations

import redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.utils import as_text

from crisis.keys import Keys
from crisis.worker import queues


def scheduler_pid(redis_url: str, prefix: str) -> int | None:
    """The pid of the centre's RQ scheduler (None before one holds a lock)."""
    connection = redis.Redis.from_url(redis_url)
    try:
        for queue in queues(connection, Keys(prefix)):
            holder = connection.get(RQScheduler.get_locking_key(queue.name))
            if holder is None:
                continue
            pid = connection.hget(SCHEDULER_KEY_TEMPLATE % as_text(holder), "pid")
            if pid is not None:
                return int(pid)
        return None
    finally:
        connection.close()
