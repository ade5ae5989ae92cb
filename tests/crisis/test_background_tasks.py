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


async def test_a_task_that_lost_its_cancellation_is_cancelled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As the watch's normaliser did inside redis-py on Python 3.11: the first cancel is
    swallowed and the task goes on into its next blocking read. The shutdown does not wait
    for that read to end (every app's shutdown waited 1 s for it), nor RECANCEL_S: with
    an hour between the later cancels, the first one still comes at once."""
    monkeypatch.setattr("crisis.background_tasks.RECANCEL_S", 3600)
    reads = 0

    async def swallows_once() -> None:
        nonlocal reads
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # lost on the way
        reads += 1
        await asyncio.sleep(3600)  # the next blocking read

    task = asyncio.create_task(swallows_once())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(cancel_and_wait([task]))
    done, _ = await asyncio.wait({stopping}, timeout=10)  # not the hour
    if not done:
        task.cancel()
        await asyncio.wait({stopping})
    assert done and task.cancelled() and reads == 1


async def test_a_cancel_lost_in_wait_for_is_made_up_for_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The way it is lost: on Python 3.11, asyncio.wait_for (redis-py sends each command
    through it) returns the result of a write that ended just as the cancel came, and the
    task goes on into its next read."""
    monkeypatch.setattr("crisis.background_tasks.RECANCEL_S", 3600)

    async def writes_then_reads() -> None:
        await asyncio.wait_for(asyncio.sleep(0), 5)  # the write, done at once
        await asyncio.sleep(3600)  # the next blocking read

    task = asyncio.create_task(writes_then_reads())
    for _ in range(3):  # the write done, wait_for not yet woken: where 3.11 loses the cancel
        await asyncio.sleep(0)
    stopping = asyncio.create_task(cancel_and_wait([task]))
    done, _ = await asyncio.wait({stopping}, timeout=10)
    if not done:
        task.cancel()
        await asyncio.wait({stopping})
    assert done and task.cancelled()
