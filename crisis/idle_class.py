"""The events process runs in the kernel's idle scheduling class, with a floor.

Why: on one machine (`crisis up`), a surge of webhooks and the pipeline that answers them
compete for the same cores, and the pipeline, being behind during a surge, is always ready to
run. Of the two, acknowledging is what cannot wait: a provider retries a webhook that times out
once or twice, then drops the message, while an event acknowledged is stored and waits for the
pipeline (under its bound, crisis/events.py). A lower nice value is not enough: what slows the
webhooks is the moment a web process, Redis or a client wakes and finds every core taken, and
nice only shortens the pipeline's turn. The idle class (SCHED_IDLE) gives the core up at once to
any normal process that wakes; measured in docs/performance.md ("The events process in the
idle class").

The idle class alone has no floor: with the cores saturated by others for long (a sustained
surge, a broadcast in the workers), the pipeline would get nothing and answer nobody. So a
watchdog thread reads the pipeline thread's scheduler statistics every TICK_S (time run, time
waited ready to run: /proc/self/task/<tid>/schedstat) and puts it back in the normal class (at
its nice value) while, over the last WINDOW_S, it wanted at least the floor (a share of one
core) and ran less; in the idle class again once it has had it, or stops wanting it. Time
spent waiting for Redis, or stopped, is not wanting: only starvation moves it.

Only the event loop's thread is moved; the watchdog and the helper threads stay in the normal
class. Leaving the idle class needs privilege or a high enough RLIMIT_NICE (systemd's
`LimitNICE=`, deploy/systemd/): where the process cannot, it stays in the normal class at its
nice value, as before, and says so once in the log.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

from crisis.metrics import EVENTS_FLOOR_RETURNS

log = logging.getLogger(__name__)

TICK_S = 0.05
WINDOW_S = 5.0


def read_schedstat(tid: int) -> tuple[float, float] | None:
    """Seconds a thread of this process ran and waited ready to run, since it started; None
    where the kernel does not keep them (no CONFIG_SCHED_INFO) or the thread has ended."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat", "rb") as stat:
            ran, waited, _ = stat.read().split()
    except (OSError, ValueError):
        return None
    return int(ran) / 1e9, int(waited) / 1e9


def _set_policy(tid: int, policy: int) -> None:
    os.sched_setscheduler(tid, policy, os.sched_param(0))


def can_leave_idle_class() -> bool:
    """Whether this process may move a thread from the idle class back to the normal one,
    tried on a scratch thread (Linux only; the kernel's rule depends on privilege, RLIMIT_NICE
    and the nice value, so trying is the only sure test)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    answer: list[bool] = []

    def attempt() -> None:
        try:
            _set_policy(0, os.SCHED_IDLE)
            _set_policy(0, os.SCHED_OTHER)
            answer.append(True)
        except OSError:
            answer.append(False)

    scratch = threading.Thread(target=attempt, name="idle-class-check")
    scratch.start()
    scratch.join()
    return answer == [True]


class IdleClassWithFloor:
    """Keeps one thread (by default the calling one) in the idle class, or in the normal class
    while it starves below its floor. `start` returns whether it took effect."""

    def __init__(self, floor: float, *, thread: threading.Thread | None = None,
                 set_policy: Callable[[int, int], None] = _set_policy,
                 read: Callable[[int], tuple[float, float] | None] = read_schedstat) -> None:
        if floor <= 0:
            raise ValueError("the floor must be a positive share of one core")
        self.floor = floor
        self._thread = thread or threading.current_thread()
        self._set_policy = set_policy
        self._read = read
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self.idle = False
        self.returns_to_normal = 0  # times the floor was enforced (logs, tests)
        # (monotonic time, seconds run, seconds waited) over the last WINDOW_S, oldest first.
        self._samples: collections.deque[tuple[float, float, float]] = collections.deque()

    def start(self) -> bool:
        if not can_leave_idle_class():
            log.warning("the events process cannot leave the idle scheduling class (no "
                        "privilege, RLIMIT_NICE too low: systemd's LimitNICE=): it runs in the "
                        "normal class, and a surge's webhooks share the CPU with it")
            return False
        tid = self._thread.native_id
        if tid is None:
            raise RuntimeError("the thread to move has not started")
        if self._read(tid) is None:
            log.warning("this kernel keeps no scheduler statistics (schedstat): the events "
                        "process cannot keep a floor in the idle class, so it runs in the "
                        "normal class")
            return False
        self._set_policy(tid, os.SCHED_IDLE)
        self.idle = True
        self._watchdog = threading.Thread(target=self._watch, args=(tid,), daemon=True,
                                          name="idle-class-floor")
        self._watchdog.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()

    def observe(self, now: float, ran: float, waited: float) -> bool | None:
        """Take the thread's cumulative seconds `ran` and `waited` (ready to run) at `now`;
        the class to move it to (True: idle, False: normal), now recorded as its class, or
        None to leave it there."""
        self._samples.append((now, ran, waited))
        while len(self._samples) > 1 and now - self._samples[1][0] >= WINDOW_S:
            self._samples.popleft()
        started_at, started_ran, started_waited = self._samples[0]
        elapsed = now - started_at
        if elapsed < WINDOW_S / 2:  # too soon to judge a share
            return None
        due = self.floor * elapsed
        got = ran - started_ran
        wanted = got + (waited - started_waited)
        if self.idle and got < due <= wanted:
            self.idle = False
            self.returns_to_normal += 1
            return False
        if not self.idle and (got >= due or wanted < due):
            self.idle = True
            return True
        return None

    def _watch(self, tid: int) -> None:
        try:
            while not self._stop.wait(TICK_S):
                times = self._read(tid)
                if times is None:  # the thread ended: the process is stopping
                    return
                move = self.observe(time.monotonic(), *times)
                if move is None:
                    continue
                self._set_policy(tid, os.SCHED_IDLE if move else os.SCHED_OTHER)
                if not move:
                    EVENTS_FLOOR_RETURNS.inc()
        except OSError as err:  # the thread ended meanwhile: the process is stopping
            log.debug("idle class watchdog ends: %s", err)


@contextlib.contextmanager
def idle_class_with_floor(floor: float | None) -> Iterator[None]:
    """The calling thread in the idle class with `floor` for the block (None: left in the
    normal class), the watchdog stopped after it."""
    if floor is None:
        yield
        return
    keeper = IdleClassWithFloor(floor)
    keeper.start()
    try:
        yield
    finally:
        keeper.stop()
