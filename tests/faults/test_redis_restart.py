"""Redis stopped and started again (same port, same append-only data) during a stream of
signed SMS, under real `crisis web`, `crisis worker --events` and `crisis worker`: webhooks
met during the outage are acknowledged from the web process's local spool (never 500), every
acknowledged message is there afterwards (the spool replayed), and the processes reconnect
by themselves."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from testbed.redis_sentinel import RedisProcess
from tests.faults.traffic import Centre, Tally, centre_env, nothing_lost, send_stream
from tests.support.polling import until

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BEFORE_STOP = 60
OUTAGE_ACKS = 20  # webhooks acknowledged from the spool while Redis is down
AFTER = 30


async def test_a_redis_restart_during_traffic_loses_no_acknowledged_message(
        server: RedisProcess, twilio_base: str, tmp_path: Path) -> None:
    prefix = f"r{uuid.uuid4().hex[:8]}:"
    centre = Centre(centre_env(server.url, prefix, tmp_path / "var", twilio_base),
                    tmp_path / "logs")
    await centre.start()
    try:
        tally = Tally()
        stop = asyncio.Event()
        stream = asyncio.create_task(send_stream(centre.base, 0, 100_000, tally, stop=stop))

        async def warmed() -> bool:
            return len(tally.acknowledged) >= BEFORE_STOP
        await until(warmed, 30)
        await asyncio.to_thread(server.stop)
        acknowledged_before = len(tally.acknowledged)

        await until(lambda: _more(tally, acknowledged_before + OUTAGE_ACKS), 30)
        spooled = len(tally.acknowledged) - acknowledged_before
        await asyncio.to_thread(server.start)  # same port, same directory: AOF replayed
        await until(lambda: _more(tally, acknowledged_before + 30), 30)
        stop.set()
        sent = await stream

        await nothing_lost(centre, server.url, prefix, tally, sent, label="restart",
                           after_count=AFTER, note=f", acknowledged from the spool {spooled}")
    finally:
        await centre.stop()


async def _more(tally: Tally, count: int) -> bool:
    return len(tally.acknowledged) >= count
