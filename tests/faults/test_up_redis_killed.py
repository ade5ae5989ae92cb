"""`crisis up` (real processes, embedded Redis) while its redis-server is killed -9 in the middle
of a burst of signed SMS: the supervisor starts it again at once on its append-only file, the
web, events and worker processes ride through the gap, every acknowledged message is there
afterwards (the web process's spool replays what it took meanwhile), the centre answers again
by itself, and the static site is served throughout."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.faults.traffic import Tally, send_stream, stored
from tests.faults.up import Up, status
from tests.support.polling import until

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BEFORE_KILL = 60  # acknowledged messages before redis-server is killed
AFTER = 30  # messages sent once the centre is ready again: all taken at once


async def watch_site(base: str, stop: asyncio.Event, seen: collections.Counter[int]) -> None:
    """GET / every 50 ms until `stop`, counting the answers (0: none)."""
    while not stop.is_set():
        seen[int(await status(f"{base}/"))] += 1
        await asyncio.sleep(0.05)


async def test_the_embedded_redis_killed_mid_burst_comes_back_and_loses_nothing(
        twilio_base: str, tmp_path: Path) -> None:
    prefix = f"u{uuid.uuid4().hex[:8]}:"
    up = Up(tmp_path, prefix, twilio_base)
    await up.start()
    redis_url = up.redis_url
    try:
        tally = Tally()
        stop_stream, stop_site = asyncio.Event(), asyncio.Event()
        stream = asyncio.create_task(send_stream(up.base, 0, 100_000, tally, stop=stop_stream))
        site: collections.Counter[int] = collections.Counter()

        await until(lambda: _more(tally, BEFORE_KILL), 30)
        site_watch = asyncio.create_task(watch_site(up.base, stop_site, site))
        pid_file = up.redis_pid_file
        old_pid = int(pid_file.read_text())
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        acknowledged_at_kill = len(tally.acknowledged)

        async def new_redis() -> bool:
            return _new_pid(pid_file, old_pid) and bool(await status(f"{up.base}/readyz", 200))
        await until(new_redis, 30)
        ready_again_s = time.monotonic() - killed_at
        await until(lambda: _more(tally, acknowledged_at_kill + 30), 30)
        stop_stream.set()
        sent = await stream
        stop_site.set()
        await site_watch

        after = Tally()
        await send_stream(up.base, sent + 1000, AFTER, after, concurrency=4)
        assert len(after.acknowledged) == AFTER and after.statuses[503] == 0, after

        async def all_answered() -> bool:
            kept = await stored(redis_url, prefix)
            return kept.unanswered == 0 and tally.acknowledged | after.acknowledged <= \
                kept.provider_ids
        try:
            await until(all_answered, 40)
        finally:
            kept = await stored(redis_url, prefix)
            lost = tally.acknowledged - kept.provider_ids
            print(f"\nredis killed under `crisis up`: sent {sent}, acknowledged "
                  f"{len(tally.acknowledged)} ({acknowledged_at_kill} before the kill), "
                  f"present {len(tally.acknowledged & kept.provider_ids)}, lost {len(lost)}, "
                  f"statuses {dict(tally.statuses)}, connection errors "
                  f"{tally.connection_errors}, answered twice {kept.answered_twice}, "
                  f"ready again after {ready_again_s:.1f} s, GET / {dict(site)}")
        assert not lost, sorted(lost)[:5]
        assert 500 not in tally.statuses and not tally.given_up
        assert set(site) == {200}, site  # the site never stopped answering
        assert up.process is not None and up.process.returncode is None
        assert "giving up" not in up.log() and "keeps dying" not in up.log(), up.log()[-3000:]
        assert "embedded redis started again" in up.log()
    finally:
        code = await up.stop()
    assert code == 0, up.log()[-3000:]


def _new_pid(pid_file: Path, old: int) -> bool:
    try:
        return int(pid_file.read_text()) != old
    except (OSError, ValueError):
        return False


async def _more(tally: Tally, count: int) -> bool:
    return len(tally.acknowledged) >= count
