"""The RQ worker of `crisis worker`, made to ride through a Redis restart or failover.

RQ retries only its blocking dequeue on a lost connection; any other Redis call of its loop
(the heartbeat after a dequeue, the suspension check, the maintenance, a job's bookkeeping)
that meets Redis away ends `work()` with "found an unhandled exception, quitting", and a
supervisor that sees it die again and again at start-up gives up. Here each of those calls
waits for Redis to come back (back-off, one log line per outage) and carries on, so the
worker's process, its registration and its scheduler survive the gap.

A job whose own bookkeeping failed mid-outage stays in RQ's started registry; RQ moves it
to the failed registry (or retries it, per its Retry) once its lease expires: no job is
silently dropped, and a reply may then be sent again (see docs/operations.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, TypeVar

import redis
import redis.exceptions
from rq import Queue
from rq.job import Job

from crisis.worker import CentreWorker

log = logging.getLogger(__name__)

T = TypeVar("T")

OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                 redis.exceptions.ReadOnlyError)
FIRST_PAUSE_S = 0.1
MAX_PAUSE_S = 2.0


def wait_for_redis(client: redis.Redis, *, what: str, give_up_after_s: float | None = None
                   ) -> None:
    """Block until `client` answers PING (logging once); TimeoutError after
    `give_up_after_s` when given."""
    pause = FIRST_PAUSE_S
    started = time.monotonic()
    logged = False
    while True:
        try:
            client.ping()
            if logged:
                log.info("redis is back", extra={"waiting": what,
                                                 "after_s": round(time.monotonic() - started, 2)})
            return
        except OUTAGE_ERRORS as err:
            if not logged:
                log.warning("redis unavailable; waiting for it", extra={
                    "waiting": what, "error": f"{type(err).__name__}: {err}"})
                logged = True
            if give_up_after_s is not None and time.monotonic() - started > give_up_after_s:
                raise TimeoutError(f"redis unavailable for {give_up_after_s:g} s") from err
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_S)


class OutageTolerantWorker(CentreWorker):
    """CentreWorker whose loop's Redis calls wait out an outage instead of quitting."""

    def _riding_outages(self, what: str, call: Callable[[], T]) -> T:
        while True:
            try:
                return call()
            except OUTAGE_ERRORS:
                wait_for_redis(self.connection, what=what)

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        self._riding_outages("worker heartbeat", lambda: super(
            OutageTolerantWorker, self).heartbeat(*args, **kwargs))

    def check_for_suspension(self, burst: bool) -> None:
        self._riding_outages("suspension check", lambda: super(
            OutageTolerantWorker, self).check_for_suspension(burst))

    def run_maintenance_tasks(self) -> None:
        self._riding_outages("maintenance", lambda: super(
            OutageTolerantWorker, self).run_maintenance_tasks())

    def dequeue_job_and_maintain_ttl(self, *args: Any, **kwargs: Any) -> Any:
        return self._riding_outages("dequeue", lambda: super(
            OutageTolerantWorker, self).dequeue_job_and_maintain_ttl(*args, **kwargs))

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        except OUTAGE_ERRORS:
            # The job's outcome could not be recorded; RQ's started registry still holds it
            # and its lease decides what happens to it. The worker itself goes on.
            log.warning("job bookkeeping lost to a redis outage", extra={"job": job.id})
            wait_for_redis(self.connection, what="after a job")
