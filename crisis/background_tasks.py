"""Stopping a process's background tasks at shutdown (relays, sweeps, heartbeats)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait until each has ended. A task that had already failed is
    logged at warning with its traceback (else its error would vanish here), not raised:
    the shutdown goes on."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass  # what cancel() asked for
        except Exception:  # a process edge: log and go on stopping the others
            log.warning("background task failed before shutdown", extra={"task": task.get_name()},
                        exc_info=True)
