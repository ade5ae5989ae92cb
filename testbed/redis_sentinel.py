"""Real Redis topologies on loopback for the fault tests: a Redis server that can be stopped
and started again on the same port and data, and a Sentinel set (a primary, one replica,
three sentinels) whose failover can be forced.

Debian's binaries (`redis-server`, and `redis-sentinel` or `redis-server --sentinel`), each
in a temporary directory of its own, on free TCP ports of 127.0.0.1. Nothing is daemonised:
the processes are this one's children and `stop()` ends them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import redis

from testbed.ports import free_port, wait_listening

SERVICE = "mymaster"
START_TIMEOUT_S = 30.0


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/sbin")
    if found is None:
        raise RuntimeError(f"{name} not found: apt-get install redis-server")
    return found


def _until(check: object, timeout: float, what: str) -> None:
    """Poll `check()` until it returns true, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (redis.RedisError, OSError) as err:  # not up yet, or mid-failover
            last = err
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what} (last error: {last!r})")


class RedisProcess:
    """One `redis-server` on 127.0.0.1:`port`, append-only, its data in `directory`.

    `stop()` then `start()` brings it back on the same port with the same data, as a restart
    of a production server would (its append-only file is replayed)."""

    def __init__(self, directory: Path, *, port: int | None = None,
                 replica_of: int | None = None, appendfsync: str = "everysec") -> None:
        self.directory = directory
        self.port = port or free_port()
        self.replica_of = replica_of
        self.appendfsync = appendfsync
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=2)

    def _config(self) -> str:
        lines = [f"port {self.port}", "bind 127.0.0.1", "daemonize no", 'save ""',
                 f"dir {self.directory}", "appendonly yes", f"appendfsync {self.appendfsync}",
                 "logfile redis.log", "loglevel notice"]
        if self.replica_of is not None:
            lines.append(f"replicaof 127.0.0.1 {self.replica_of}")
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        if not config.exists():  # a restart keeps what Sentinel may have rewritten in it
            config.write_text(self._config())
        self.process = subprocess.Popen([_binary("redis-server"), str(config)],
                                        cwd=self.directory, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_listening(self.port, START_TIMEOUT_S)
        # Listening is not serving: after a restart it answers LOADING while it replays.
        _until(lambda: self.client().ping(), START_TIMEOUT_S, f"redis on {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (Redis flushes its append-only file) or, with `kill`, SIGKILL."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None


class SentinelSet:
    """A primary, one replica and three sentinels (quorum 2) watching them as SERVICE."""

    def __init__(self, directory: Path | None = None, *, down_after_ms: int = 1000) -> None:
        self._own_dir = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="crisis-sentinel-"))
        self.down_after_ms = down_after_ms
        self.primary = RedisProcess(self.directory / "primary")
        self.replica = RedisProcess(self.directory / "replica", replica_of=self.primary.port)
        self.sentinel_ports = [free_port() for _ in range(3)]
        self._sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """The redis+sentinel:// URL every process of the centre is given."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def sentinel(self, index: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.sentinel_ports[index],
                           decode_responses=True, socket_timeout=2)

    def _sentinel_command(self) -> list[str]:
        if shutil.which("redis-sentinel") or Path("/usr/bin/redis-sentinel").exists():
            return [_binary("redis-sentinel")]
        return [_binary("redis-server"), "--sentinel"]

    def start(self) -> None:
        self.primary.start()
        self.replica.start()
        for number, port in enumerate(self.sentinel_ports):
            home = self.directory / f"sentinel-{number}"
            home.mkdir(parents=True, exist_ok=True)
            config = home / "sentinel.conf"  # Sentinel rewrites it: one file each
            config.write_text("\n".join([
                f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {home}",
                "logfile sentinel.log",
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 2",
                f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}",
                f"sentinel failover-timeout {SERVICE} 10000",
                f"sentinel parallel-syncs {SERVICE} 1"]) + "\n")
            self._sentinels.append(subprocess.Popen(
                [*self._sentinel_command(), str(config)], cwd=home,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.sentinel_ports:
            wait_listening(port, START_TIMEOUT_S)
        _until(self._agreed, START_TIMEOUT_S, "sentinels to agree on primary and replica")

    def _agreed(self) -> bool:
        """Every sentinel sees the same primary, its replica, and the two other sentinels;
        the replica's link to the primary is up."""
        link = self.replica.client().info("replication").get("master_link_status")
        if link != "up":
            return False
        expected = ["127.0.0.1", str(self.primary_port_seen(0))]
        for index in range(len(self.sentinel_ports)):
            state = cast(dict[str, Any], self.sentinel(index).sentinel_master(SERVICE))
            if [state["ip"], str(state["port"])] != expected:
                return False
            if int(state["num-slaves"]) < 1 or int(state["num-other-sentinels"]) < 2:
                return False
        return True

    def primary_port_seen(self, index: int = 0) -> int:
        """The primary's port according to sentinel `index`."""
        address = cast(tuple[str, int], self.sentinel(index).sentinel_get_master_addr_by_name(
            SERVICE))
        return int(address[1])

    def primary_url(self) -> str:
        """A plain redis:// URL of the current primary (to inspect its data directly)."""
        return self.node(self.primary_port_seen()).url

    def node(self, port: int) -> RedisProcess:
        return self.primary if port == self.primary.port else self.replica

    def failover(self, timeout: float = 30.0) -> int:
        """SENTINEL FAILOVER, then wait until every sentinel names the former replica as the
        primary and it answers as one (ROLE master). Returns the new primary's port."""
        before = self.primary_port_seen()
        self.sentinel().execute_command(  # type: ignore[no-untyped-call]
            "SENTINEL", "FAILOVER", SERVICE)

        def switched() -> bool:
            seen = {self.primary_port_seen(i) for i in range(len(self.sentinel_ports))}
            if len(seen) != 1 or before in seen:
                return False
            role = self.node(seen.pop()).client().execute_command(  # type: ignore[no-untyped-call]
                "ROLE")
            return bool(role[0] == "master")
        _until(switched, timeout, "the failover to complete")
        return self.primary_port_seen()

    def settled(self, timeout: float = 30.0) -> None:
        """Wait until the former primary follows the new one (a second failover is then
        possible)."""
        _until(self._agreed_after_failover, timeout, "the former primary to follow")

    def _agreed_after_failover(self) -> bool:
        current = self.node(self.primary_port_seen())
        other = self.replica if current is self.primary else self.primary
        return bool(other.client().info("replication").get("master_link_status") == "up")

    def stop(self) -> None:
        for process in self._sentinels:
            process.terminate()
        for process in self._sentinels:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self._sentinels = []
        self.replica.stop()
        self.primary.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
