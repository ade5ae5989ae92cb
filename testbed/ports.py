"""Loopback ports for the benchmarks' and the tests' servers."""

from __future__ import annotations

import itertools
import os
import random
import socket
import time

# Under pytest-xdist (PYTEST_XDIST_WORKER=gw0, gw1, ...) each worker takes its ports from a
# band of its own, below Linux's ephemeral range (32768-60999 by default). A port the kernel
# hands out for bind(0) is free only until it is closed again: another worker asking at the
# same moment could be handed the same one, and so could any outgoing connection of either
# worker (a client's local port comes from the ephemeral range), before the server meant for
# it binds it; a Redis a fault test stops and starts again on its port leaves that port free
# meanwhile. Bands keep the workers apart, and the ephemeral range keeps the clients away.
_LOW, _HIGH = 10000, 32000
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_band: itertools.cycle[int] | None = None
if _worker.startswith("gw") and _worker[2:].isdigit():
    _count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), int(_worker[2:]) + 1)
    _size = (_HIGH - _LOW) // _count
    _start = _LOW + int(_worker[2:]) * _size
    _offset = random.randrange(_size)  # a rerun does not start on the last run's ports
    _band = itertools.cycle([_start + (_offset + i) % _size for i in range(_size)])


def free_port() -> int:
    """A loopback TCP port nothing is bound to (the worker's band under pytest-xdist)."""
    if _band is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for port in itertools.islice(_band, 1000):
        with socket.socket() as sock:
            try:  # no SO_REUSEADDR: a port with connections in TIME_WAIT is skipped too
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in pytest-xdist worker {_worker}'s band")


def wait_listening(port: int, timeout: float = 30.0) -> None:
    """Until something accepts connections on `port` (a server process has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")
