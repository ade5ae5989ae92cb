"""A `crisis worker` looks after its neighbours even when it has no job to run: an idle one
takes over RQ's scheduler from a worker killed -9 within seconds (crisis/worker.py,
`CentreWorker._tend_neighbours`). RQ alone blocks an idle worker up to 405 s in one wait and
bids for the scheduler's lock at its maintenance, every 10 minutes: retried and delayed jobs
(a reply's retry, a scheduled purge) would wait that long. Two real worker processes, no
supervisor to restart the dead one (as when a machine's worker is not restarted)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from rq.scheduler import RQScheduler

from crisis.keys import Keys
from crisis.redis_client import sync_redis
from crisis.worker import CentreWorker, queues

from tests.channels.test_process_model import _start, processes  # noqa: F401 (fixture)
from tests.support.polling import until
from tests.support.processes import alive, parent_of
from tests.support.rq_scheduler import scheduler_pid

pytestmark = pytest.mark.slow


async def test_an_idle_worker_takes_over_a_dead_neighbours_scheduler_within_seconds(
        env: dict[str, str], redis_url: str, prefix: str, processes: list[Any]) -> None:
    for _ in range(2):
        processes.append(await _start(env, "worker"))
    workers = {process.pid for process in processes}

    async def scheduling_worker() -> int | None:
        """The worker whose forked scheduler holds the lock (None: none alive does)."""
        pid = scheduler_pid(redis_url, prefix)
        return parent_of(pid) if pid is not None and alive(pid) else None
    holder = await until(scheduling_worker, 60, ok=lambda worker: worker in workers)
    os.kill(holder, signal.SIGKILL)
    killed_at = time.monotonic()
    [survivor] = workers - {holder}
    # Idle all along (no job enqueued): it wakes by itself, frees the dead scheduler's lock
    # and starts its own.
    await until(scheduling_worker, 30, ok=lambda worker: worker == survivor)
    print(f"\nscheduler taken over by the idle worker {time.monotonic() - killed_at:.1f} s "
          "after its holder was killed")


def test_a_burst_worker_never_forks_a_scheduler(redis_url: str, prefix: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`crisis worker --burst` runs the scheduled jobs once, in itself, and quits: looking
    after its neighbours it must not bid for the scheduler's lock, which RQ has just freed, and
    fork a scheduler whose end its exit then waits for (seen: a burst held up past a minute)."""
    started: list[object] = []
    monkeypatch.setattr(RQScheduler, "start", lambda self: started.append(self))
    connection = sync_redis(redis_url, decode=False)
    try:
        worker = CentreWorker(queues(connection, Keys(prefix)), connection=connection)
        worker.work(burst=True, with_scheduler=True)
    finally:
        connection.close()
    assert started == []
    assert scheduler_pid(redis_url, prefix) is None
