"""Waiting for something to happen, with a deadline: the one polling helper of the tests.

Tests never sleep a fixed time to wait for the centre; they poll a probe until its result is
what they expect, and fail with the last result seen when the deadline passes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _truthy(value: Any) -> bool:
    return bool(value)


async def until(probe: Callable[[], Awaitable[T]], timeout: float = 15.0, *,
                ok: Callable[[T], bool] = _truthy, every: float = 0.05) -> T:
    """Await `probe()` until `ok(result)` (default: the result is truthy); returns that result.

    AssertionError naming the last result when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s; last: {value!r}"
        await asyncio.sleep(every)


def until_sync(probe: Callable[[], T], timeout: float = 15.0, *,
               ok: Callable[[T], bool] = _truthy, every: float = 0.05) -> T:
    """`until` for blocking probes (a subprocess, an HTTP GET with urllib)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s; last: {value!r}"
        time.sleep(every)
