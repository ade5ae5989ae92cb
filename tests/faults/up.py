"""`crisis up` as a fault test runs it: real processes on the embedded Redis, output in a file,
and the process tree read from /proc (to kill one child, or see what was left behind)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path

import aiohttp

from crisis.redis_server import socket_path_for
from testbed.ports import free_port
from tests.faults.traffic import centre_env
from tests.support.processes import children_of
from tests.support.polling import until


class Up:
    """`crisis up --workers N` on its embedded Redis, as Twilio's stand-in's customer."""

    def __init__(self, tmp_path: Path, prefix: str, twilio_base: str, workers: int = 2) -> None:
        self.env = centre_env("", prefix, tmp_path / "var", twilio_base,
                              CRISIS_PORT=str(free_port()),
                              PATH=os.environ.get("PATH", "/usr/bin:/bin"),
                              TMPDIR=tempfile.gettempdir())  # where a long socket path goes
        del self.env["REDIS_URL"]  # the embedded one
        self.log_path = tmp_path / "up.log"
        self.workers = workers
        self.base = f"http://127.0.0.1:{self.env['CRISIS_PORT']}"
        self.redis_url = f"unix://{socket_path_for((tmp_path / 'var' / 'redis').resolve())}"
        self.redis_pid_file = tmp_path / "var" / "redis" / "redis.pid"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crisis", "up", "--workers", str(self.workers),
                env=self.env, stdout=log, stderr=log, cwd=self.log_path.parent)
        await until(lambda: status(f"{self.base}/readyz", 200), 60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self, kind: str) -> list[int]:
        """Pids of the direct children whose command line has `crisis <kind>` (`worker`: the
        RQ workers, not `worker --events`)."""
        assert self.process is not None
        found = []
        for pid in children_of(self.process.pid):
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if kind.encode() in args and (kind != "worker" or b"--events" not in args):
                found.append(pid)
        return found

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


async def status(url: str, expected: int | None = None) -> int | bool:
    """The status `url` answers (0: no answer); with `expected`, whether it is that one."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(url) as response:
                code = response.status
    except (aiohttp.ClientError, TimeoutError):
        code = 0
    return code == expected if expected is not None else code
