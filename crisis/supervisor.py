"""`crisis up`: starts and supervises the centre's processes on one machine.

Children (web processes, the event consumers, RQ workers) run in their own sessions so a
Ctrl-C reaches only the supervisor, which then stops them in order: web first (in-flight
requests finish), the event consumers next (no new event after the last request), workers
next (current job finishes), Redis last. A child that dies is restarted; each child also
exits by itself if the supervisor disappears, so no orphan survives a `kill -9`.

The embedded Redis is watched like the other children: killed, it is started again at once on
its append-only file, while the web, events and worker processes wait for it (they reconnect
with back-off; webhooks go to the local spool meanwhile). A child that keeps dying, usually
because something it needs is down, is never a reason to stop the centre (the site and the
spool still serve): it is restarted with a growing pause, its cause logged once, `/readyz`
red meanwhile, and the streak forgotten once it has stayed up for a while.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from crisis.data_dir import private_dir
from crisis.errors import ConfigError
from crisis.redis_server import EmbeddedRedis

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 8.0
READY_TIMEOUT_S = 60.0
# A child dead sooner than STABLE_AFTER_S after its start counts as one more quick death; the
# pause before its next start doubles from FIRST_PAUSE_S up to MAX_PAUSE_S (a crash loop
# does not eat the CPU the live processes need), and after QUICK_DEATHS_REPORTED of them the
# cause is logged once as an error.
STABLE_AFTER_S = 30.0
FIRST_PAUSE_S = 0.25
MAX_PAUSE_S = 10.0
QUICK_DEATHS_REPORTED = 3


@dataclasses.dataclass
class Restarts:
    """When a supervised thing started, how often it died quickly, when it may start again."""

    started_at: float = 0.0
    quick_deaths: int = 0
    due_at: float | None = None
    reported: bool = False

    def died(self, now: float) -> float:
        """Record a death; returns the pause before the next start."""
        quick = now - self.started_at < STABLE_AFTER_S
        self.quick_deaths = self.quick_deaths + 1 if quick else 1
        pause = 0.0 if self.quick_deaths == 1 else min(
            FIRST_PAUSE_S * 2 ** (self.quick_deaths - 2), MAX_PAUSE_S)
        self.due_at = now + pause
        return pause

    def stable(self, now: float) -> bool:
        """True once, when a thing that kept dying has stayed up STABLE_AFTER_S."""
        if self.quick_deaths and now - self.started_at >= STABLE_AFTER_S:
            was_reported = self.reported
            self.quick_deaths, self.reported = 0, False
            return was_reported
        return False


@dataclasses.dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: Restarts = dataclasses.field(default_factory=Restarts)


class Supervisor:
    def __init__(self, env: Mapping[str, str], metrics_dir: Path) -> None:
        self.env = dict(env)
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        # Its children share one directory that every web process's /metrics reads; a port
        # of their own is for a process alone in its container, and here several workers
        # would fight for it (the second dying, again and again, on "address in use").
        self.env.pop("CRISIS_METRICS_PORT", None)
        self.metrics_dir = metrics_dir
        self.children: list[Child] = []
        self.stopping = False
        self.redis: EmbeddedRedis | None = None
        self.redis_restarts = Restarts()

    def supervise_redis(self, embedded: EmbeddedRedis) -> None:
        """Watch `embedded` (already started) and start it again whenever it dies."""
        self.redis = embedded
        self.redis_restarts.started_at = time.monotonic()

    def add(self, name: str, args: list[str]) -> None:
        command = [sys.executable, "-m", "crisis", *args, "--parent-pid", str(os.getpid())]
        self.children.append(Child(name, command))

    def start(self) -> None:
        # Samples of a previous run would be summed with ours: start from a clean directory.
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        private_dir(self.metrics_dir)
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(child.command, env=self.env, start_new_session=True,
                                         stdin=subprocess.DEVNULL)
        child.restarts.started_at = time.monotonic()
        child.restarts.due_at = None
        log.debug("started", extra={"child": child.name, "pid": child.process.pid})

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

    def wait_ready(self, url: str) -> float | None:
        """Seconds until `url` answers 200 (None if it never did, or a stop came first)."""
        started = time.monotonic()
        while not self.stopping and time.monotonic() - started < READY_TIMEOUT_S:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our URL
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, OSError):
                pass
            self.watch_once()
            time.sleep(0.05)
        return None

    def watch_once(self) -> None:
        """Restart what died (Redis first: the others need it), each when its pause is over."""
        if self.stopping:
            return
        now = time.monotonic()
        self._watch_redis(now)
        for child in self.children:
            if self.stopping or child.process is None:
                continue
            if child.process.poll() is None:
                if child.restarts.stable(now):
                    log.info("running again", extra={"child": child.name})
                continue
            if child.restarts.due_at is None:
                self._report_death(child.name, child.restarts, now,
                                   code=child.process.returncode)
            if now >= (child.restarts.due_at or now):
                self._spawn(child)

    def _watch_redis(self, now: float) -> None:
        redis, restarts = self.redis, self.redis_restarts
        if redis is None or redis.process is None:
            return
        if redis.process.poll() is None:
            if restarts.stable(now):
                log.info("running again", extra={"child": "redis"})
            return
        if restarts.due_at is None:
            self._report_death("redis", restarts, now, code=redis.process.returncode)
        if now < (restarts.due_at or now):
            return
        restarts.started_at, restarts.due_at = time.monotonic(), None
        try:
            redis.start()  # replays its append-only file before answering PING
        except ConfigError as err:
            log.warning("embedded redis did not start again", extra={"error": str(err)})
            return
        log.warning("embedded redis started again", extra={
            "after_s": round(time.monotonic() - now, 2)})

    def _report_death(self, name: str, restarts: Restarts, now: float, *, code: int) -> None:
        pause = restarts.died(now)
        extra = {"child": name, "code": code, "next_start_in_s": round(pause, 2)}
        if restarts.quick_deaths < QUICK_DEATHS_REPORTED:
            log.warning("exited; restarting", extra=extra)
        elif not restarts.reported:
            # Once per streak: the child's own log says why; the centre goes on without it.
            restarts.reported = True
            log.error("keeps dying; restarting it with back-off until it stays up "
                      "(/readyz says what is missing meanwhile)",
                      extra={**extra, "cause": self._probable_cause()})

    def _probable_cause(self) -> str:
        if self.redis is not None and not self.redis.is_running():
            return "the embedded redis is not answering"
        return "see the child's own log lines above"

    def run_until_stopped(self) -> int:
        while not self.stopping:
            self.watch_once()
            time.sleep(0.2)
        self.stop()
        return 0

    def stop(self) -> float:
        """Stop what takes messages in (the web processes and the SMTP listener), then the
        event consumers, then the workers, then anything else; returns how long it took."""
        started = time.monotonic()
        deadline = started + STOP_TIMEOUT_S
        ordered = [[c for c in self.children if c.name.startswith(prefixes)]
                   for prefixes in (("web", "smtp"), ("events",), ("worker",))]
        ordered.append([c for c in self.children if not any(c in group for group in ordered)])
        for group in ordered:
            members = [(c.name, c.process) for c in group if c.process]
            for _, process in members:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for name, process in members:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("did not stop in time; killed", extra={"child": name})
                    process.kill()
                    process.wait()
        return time.monotonic() - started
