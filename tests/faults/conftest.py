"""Fault tests: real Redis servers stopped, restarted and failed over under real processes.

Select them with `-m faults`; each is bounded (well under a minute)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from testbed.redis_sentinel import RedisProcess
from testbed.twilio import TwilioStandIn


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: Redis failover/restart under traffic (tests/faults/; bounded)")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    """A plain Redis of our own (AOF on), which a test may stop and start again."""
    process = RedisProcess(tmp_path / "redis")
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


@pytest.fixture
async def twilio_base() -> AsyncIterator[str]:
    """The Twilio stand-in's URL (TWILIO_API_BASE)."""
    standin = TestServer(TwilioStandIn().app(), host="127.0.0.1")
    await standin.start_server()
    yield str(standin.make_url("")).rstrip("/")
    await standin.close()
