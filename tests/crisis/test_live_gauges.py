"""The centre-wide gauges read at scrape time (crisis/live_gauges.py), on a real Redis."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from crisis.context import Context, open_context
from crisis.events import make_event
from crisis.live_gauges import collect
from crisis.settings import Settings
from crisis.types import EventType
from testbed.ports import free_port


def _samples(families: list, name: str) -> dict[tuple[str, ...], float]:
    return {tuple(s.labels.values()): s.value for f in families if f.name == name
            for s in f.samples}


async def test_a_group_that_stopped_reading_shows_its_lag_in_seconds(ctx: Context) -> None:
    await ctx.bus.ensure_group("stalled")
    assert _samples(await collect(ctx), "crisis_events_lag_seconds")[("stalled",)] == 0
    await ctx.bus.publish(make_event(EventType.CRISIS_CLOSED, actor="t", subject="c1"))
    await asyncio.sleep(0.3)
    lag = _samples(await collect(ctx), "crisis_events_lag_seconds")[("stalled",)]
    assert 0.25 <= lag < 30


async def test_redis_down_is_a_gauge_not_a_failed_scrape(settings: Settings) -> None:
    unreachable = open_context(settings, f"redis://127.0.0.1:{free_port()}")
    try:
        families = await collect(unreachable)
    finally:
        await unreachable.close()
    assert _samples(families, "crisis_redis_up") == {(): 0.0}


async def test_the_audit_trail_shows_against_its_cap_and_its_archive(ctx: Context,
                                                                       tmp_path: Path) -> None:
    from crisis.audit import AUDIT_MAXLEN, sign_in_entry, write_audit
    from crisis.audit_archive import archive

    empty = await collect(ctx)
    assert _samples(empty, "crisis_audit_entries") == {(): 0.0}
    assert _samples(empty, "crisis_audit_archived_timestamp_seconds") == {(): 0.0}
    for name in ("ann", "bob"):
        await write_audit(ctx.redis, ctx.keys, sign_in_entry(name, "api", None, ok=True, detail="cell"))
    before = await collect(ctx)
    assert _samples(before, "crisis_audit_entries") == {(): 2.0}
    assert _samples(before, "crisis_audit_entries_limit") == {(): float(AUDIT_MAXLEN)}
    oldest = _samples(before, "crisis_audit_oldest_entry_timestamp_seconds")[()]
    newest = _samples(before, "crisis_audit_newest_entry_timestamp_seconds")[()]
    assert 0 < oldest <= newest and abs(newest - time.time()) < 60
    await archive(ctx.redis, ctx.keys, tmp_path / "audit")
    after = await collect(ctx)
    assert _samples(after, "crisis_audit_archived_timestamp_seconds")[()] == newest
