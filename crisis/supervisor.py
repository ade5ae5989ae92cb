"""`crisis up`: starts and supervises the centre's processes on one machine.

Children (web processes, the event consumers, RQ workers) run in their own sessions so a
Ctrl-C reaches only the supervisor, which then stops them in order: web first (in-flight
requests finish), the event consumers next (no new event after the last request), workers
next (current job finishes), Redis last. A child that dies is restarted; each child also
exits by itself if the supervisor disappears, so no orphan survives a `kill -9`.
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

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 8.0
READY_TIMEOUT_S = 60.0
MAX_RESTARTS_PER_MINUTE = 5


@dataclasses.dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = dataclasses.field(default_factory=list)


class Supervisor:
    def __init__(self, env: Mapping[str, str], metrics_dir: Path) -> None:
        self.env = dict(env)
        self.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        self.metrics_dir = metrics_dir
        self.children: list[Child] = []
        self.stopping = False

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

    def watch_once(self) -> bool:
        """Restart dead children; False when one keeps dying (the supervisor should give up)."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None or self.stopping:
                continue
            child.restarts = [t for t in child.restarts if now - t < 60] + [now]
            if len(child.restarts) > MAX_RESTARTS_PER_MINUTE:
                log.error("keeps dying; giving up", extra={"child": child.name})
                return False
            log.warning("exited; restarting", extra={
                "child": child.name, "code": child.process.returncode})
            time.sleep(0.5)
            self._spawn(child)
        return True

    def run_until_stopped(self) -> int:
        while not self.stopping:
            if not self.watch_once():
                self.stop()
                return 1
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
