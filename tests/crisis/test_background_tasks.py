"""Shutdown of background tasks: running ones are cancelled and awaited, a failed one is
logged instead of vanishing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from crisis.background_tasks import cancel_and_wait


async def test_running_tasks_end_and_a_failed_one_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def crash() -> None:
        raise RuntimeError("relay lost its connection")

    running = asyncio.create_task(asyncio.sleep(3600), name="sleeper")
    failed = asyncio.create_task(crash(), name="relay")
    await asyncio.wait([failed])
    with caplog.at_level(logging.WARNING, logger="crisis.background_tasks"):
        await cancel_and_wait([running, failed])
    assert running.cancelled()
    [record] = caplog.records
    assert record.task == "relay" and record.exc_info is not None  # type: ignore[attr-defined]
    assert "relay lost its connection" in caplog.text
