"""Stopping a process's background tasks at shutdown (relays, sweeps, heartbeats)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# A task still running RECANCEL_FIRST_S after its cancel is cancelled again, then at doubling
# intervals up to every RECANCEL_S. A lost cancel (below) shows at once: the task simply goes on.
RECANCEL_FIRST_S = 0.005
RECANCEL_S = 0.1


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait until each has ended. A task that had already failed is
    logged at warning with its traceback (else its error would vanish here), not raised:
    the shutdown goes on."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        # A cancellation can be lost on the way: on Python 3.11, asyncio.wait_for returns the
        # result of what it waited for when that ended just as the cancel came (fixed in
        # 3.12), and redis-py sends every command through wait_for(socket_timeout). The watch's
        # normaliser then went on into its next 1 s XREADGROUP; a task cancelled during its
        # first commands lost it about one shutdown in three (and a second cancel may land in
        # the next command's wait_for). Cancel again until it has ended: after a few
        # milliseconds, then doubling up to RECANCEL_S (a flat 0.1 s added that much to a third
        # of the apps' shutdowns in the tests). Only lost cancels are repeated: every task here
        # was cancelled at once anyway, so a repeat cuts short nothing that the first would not.
        delay = RECANCEL_FIRST_S
        while not task.done():
            await asyncio.wait({task}, timeout=delay)
            if not task.done():
                task.cancel()
            delay = min(2 * delay, RECANCEL_S)
        try:
            await task
        except asyncio.CancelledError:
            pass  # what cancel() asked for
        except Exception:  # a process edge: log and go on stopping the others
            log.warning("background task failed before shutdown", extra={"task": task.get_name()},
                        exc_info=True)
