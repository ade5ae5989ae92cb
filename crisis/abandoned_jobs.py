"""Jobs of a worker that died mid-job (kill -9, out of memory), handed back to RQ at once.

RQ notices such a job only when its execution's lease runs out (job monitoring interval +
60 s) and a worker's maintenance next runs (every 10 min by default): a reply to a citizen
would wait that long. A worker of the same machine can tell much sooner: the execution names
its worker (`<host>-<pid>`, crisis.heartbeat.process_name), and a pid of this host with no
process is a dead worker. Its executions are expired now and RQ's own clean-up does the rest:
retried when the job has retries left (reply jobs: 3), moved to the failed registry
otherwise. The job itself decides whether its work was done (a reply already sent is
skipped: channels/outbound.py).

Workers on other machines are left to RQ's lease. Assumes a host name is not shared by two
pid namespaces (containers get their own host name unless told otherwise).
"""

from __future__ import annotations

import logging
import os
import socket
from typing import cast

import redis
from rq import Queue
from rq.executions import Execution
from rq.registry import StartedJobRegistry
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.utils import as_text, parse_composite_key

log = logging.getLogger(__name__)


def _dead_local_pid(worker_name: str, host: str) -> bool:
    name_host, _, pid = worker_name.rpartition("-")
    if name_host != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def is_dead_local_process(process_name: str) -> bool:
    """Whether `process_name` (`<host>-<pid>`, crisis.heartbeat.process_name) is a process of
    this host that no longer exists (False when it cannot tell: another host, a bad name)."""
    return _dead_local_pid(process_name, socket.gethostname())


def hand_back_jobs_of_dead_workers(connection: redis.Redis, queues: list[Queue]) -> int:
    """Expire the started executions of this host's dead workers and let RQ retry (or fail)
    their jobs; returns how many were handed back."""
    host = socket.gethostname()
    handed_back = 0
    for queue in queues:
        registry = StartedJobRegistry(queue=queue)
        expired = 0
        for raw in cast(list[bytes], connection.zrange(registry.key, 0, -1)):
            composite_key = as_text(raw)
            job_id, execution_id = parse_composite_key(composite_key)
            try:
                execution = Execution.fetch(execution_id, job_id, connection)
            except ValueError:  # finished (or its record expired) since the range was read
                continue
            if not _dead_local_pid(execution.worker_name, host):
                continue
            # Score 1: expired long ago; xx: only if it is still there (not finished meanwhile).
            expired += cast(int, connection.zadd(registry.key, {composite_key: 1}, xx=True,
                                                 ch=True))
            log.warning("job of a dead worker handed back", extra={
                "job": job_id, "worker": execution.worker_name, "queue": queue.name})
        if expired:
            registry.cleanup()
            handed_back += expired
    return handed_back


def release_dead_schedulers(connection: redis.Redis, queues: list[Queue]) -> int:
    """Free the scheduler locks held by a dead scheduler of this host; returns how many.

    RQ's scheduler (a process the worker forks) moves retried and delayed jobs back to their
    queues. When its worker is killed it dies too, but its lock lasts its TTL (61 s) and a
    surviving worker tries to take it over only at its maintenance (every minute): a reply
    job handed back above would wait that long. The lock names the scheduler; its record
    (written by the scheduler at birth) gives its host and pid.
    """
    host = socket.gethostname()
    released = 0
    for queue in queues:
        lock_key = RQScheduler.get_locking_key(queue.name)
        holder = connection.get(lock_key)
        if holder is None:
            continue
        record = cast(dict[bytes, bytes], connection.hgetall(SCHEDULER_KEY_TEMPLATE % as_text(holder)))
        pid = as_text(record.get(b"pid", b""))
        if as_text(record.get(b"hostname", b"")) != host or not pid.isdigit() \
                or not _dead_local_pid(f"{host}-{pid}", host):
            continue
        with connection.pipeline() as pipe:
            try:  # only if it still names the dead one (a live scheduler may have taken it)
                pipe.watch(lock_key)  # type: ignore[no-untyped-call]
                if pipe.get(lock_key) != holder:
                    continue
                pipe.multi()
                pipe.delete(lock_key)
                pipe.execute()
            except redis.WatchError:
                continue
        released += 1
        log.warning("scheduler lock of a dead scheduler released",
                    extra={"queue": queue.name, "scheduler": as_text(holder)})
    return released
