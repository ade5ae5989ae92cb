"""Forked children that die with their parent (Linux's PR_SET_PDEATHSIG).

An RQ worker forks its scheduler and a work horse per job. Killed with -9, the worker cannot
stop them: the scheduler lived on with parent 1, logging Redis tracebacks until the machine's
shutdown, and a work horse went on with a job that another worker retries. With this, the
kernel sends them SIGTERM the moment the process that forked them dies (the scheduler then
releases its locks so another worker's scheduler takes over; a work horse just ends). A no-op
outside Linux.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Ask the kernel for `signum` when the parent dies; exit at once if `parent_pid` is
    already gone (it died between the fork and this call, before the request could count)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) refused", extra={"errno": ctypes.get_errno()})
    if os.getppid() != parent_pid:
        os._exit(1)


def forked_children_die_with_this_process() -> None:
    """From now on, every os.fork() of this process (multiprocessing included) gives a child
    that dies with it. Not subprocess: its children exec another program and have their own
    way of ending (the --parent-pid watch of ours)."""
    parent = os.getpid()
    os.register_at_fork(after_in_child=lambda: die_with_parent(parent))


PR_SET_NAME = 15  # <linux/prctl.h>


def name_this_process(name: str) -> None:
    """Give this process `name` in ps and /proc/PID/comm (15 bytes at most), so a forked
    child of a worker can be told from its siblings. A no-op outside Linux."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def fork_child(target: Callable[..., None], args: tuple[Any, ...], name: str,
               stop_wait_s: float) -> Callable[[], None]:
    """Fork a daemon child running `target(*args)` beside a worker (its reply or second-look
    consumer); returns the function that stops it: SIGTERM, up to `stop_wait_s` for it to
    finish, then SIGKILL. Forked, not a thread: the worker forks a work horse per job, and a
    fork while a thread holds a lock (a module being imported) left the horse waiting."""
    process = multiprocessing.get_context("fork").Process(target=target, args=args, name=name,
                                                          daemon=True)
    process.start()

    def stop() -> None:
        process.terminate()
        process.join(stop_wait_s)
        if process.is_alive():
            process.kill()
            process.join()
    return stop
