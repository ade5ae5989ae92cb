"""Stopping a process's background tasks at shutdown (relays, sweeps, heartbeats)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

RECANCEL_S = 0.1  # a task still running this long after its cancel is cancelled again


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait until each has ended. A task that had already failed is
    logged at warning with its traceback (else its error would vanish here), not raised:
    the shutdown goes on."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        # A cancellation can be lost on the way (seen with redis-py on Python 3.11: the watch's
        # normaliser went on into its next 1 s XREADGROUP, and every app's shutdown waited for
        # it): cancel again until the task has ended.
        while not task.done():
            await asyncio.wait({task}, timeout=RECANCEL_S)
            if not task.done():
                task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass  # what cancel() asked for
        except Exception:  # a process edge: log and go on stopping the others
            log.warning("background task failed before shutdown", extra={"task": task.get_name()},
                        exc_info=True)
