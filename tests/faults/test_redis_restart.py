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
from tests.faults.traffic import Centre, Tally, centre_env, send_stream, stored
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

        after = Tally()
        await send_stream(centre.base, sent + 1000, AFTER, after, concurrency=4)
        assert len(after.acknowledged) == AFTER and after.statuses[503] == 0, after

        async def all_answered() -> bool:
            # What the spool took while Redis was down is replayed within seconds of its
            # return: every acknowledged message must end up stored.
            kept = await stored(server.url, prefix)
            return kept.unanswered == 0 and after.acknowledged <= kept.provider_ids \
                and tally.acknowledged <= kept.provider_ids
        await until(all_answered, 60)
        kept = await stored(server.url, prefix)
        lost = tally.acknowledged - kept.provider_ids
        print(f"\nrestart: sent {sent}, acknowledged {len(tally.acknowledged)}, "
              f"present {len(tally.acknowledged & kept.provider_ids)}, lost {len(lost)}, "
              f"statuses {dict(tally.statuses)}, connection errors {tally.connection_errors}, "
              f"answered twice {kept.answered_twice}, acknowledged from the spool {spooled}")
        assert not lost, sorted(lost)[:5]
        assert 500 not in tally.statuses and not tally.given_up
        assert all(centre.alive().values()), centre.alive()
        for name in ("web", "events", "worker"):
            assert "quitting" not in centre.log_text(name), name
    finally:
        await centre.stop()


async def _more(tally: Tally, count: int) -> bool:
    return len(tally.acknowledged) >= count
