"""A Sentinel failover forced during a stream of signed SMS, against real `crisis web`,
`crisis worker --events` and `crisis worker` processes on a primary, a replica and three
sentinels (testbed/redis_sentinel.py): every acknowledged message is there afterwards, no
webhook answered 500, and the processes carry on by themselves on the new primary."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from testbed.redis_sentinel import SentinelSet
from tests.faults.traffic import Centre, Tally, centre_env, nothing_lost, send_stream
from tests.support.polling import until

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BEFORE_FAILOVER = 60  # acknowledged messages before the failover is forced
MIN_REPLICAS = "1"  # WAIT for the replica before acknowledging (docs/operations.md)
AFTER = 30  # messages sent once the failover has settled: the processes must take them


@pytest.fixture
async def sentinels(tmp_path: Path) -> AsyncIterator[SentinelSet]:
    topology = SentinelSet(tmp_path / "redis")
    await asyncio.to_thread(topology.start)
    yield topology
    await asyncio.to_thread(topology.stop)


async def test_a_failover_during_traffic_loses_no_acknowledged_message(
        sentinels: SentinelSet, twilio_base: str, tmp_path: Path) -> None:
    prefix = f"f{uuid.uuid4().hex[:8]}:"
    env = centre_env(sentinels.url, prefix, tmp_path / "var", twilio_base,
                     CRISIS_REDIS_MIN_REPLICAS=MIN_REPLICAS)
    centre = Centre(env, tmp_path / "logs")
    await centre.start()
    try:
        tally = Tally()
        stop = asyncio.Event()
        stream = asyncio.create_task(send_stream(centre.base, 0, 100_000, tally, stop=stop))

        async def warmed() -> bool:
            return len(tally.acknowledged) >= BEFORE_FAILOVER
        await until(warmed, 30)
        await asyncio.to_thread(sentinels.failover)
        # Traffic goes on until the former primary follows the new one: the window where
        # a client still writing to it would be acknowledged and then lose the write.
        await asyncio.to_thread(sentinels.settled, 40)
        stop.set()
        sent = await stream

        await nothing_lost(centre, sentinels.primary_url(), prefix, tally, sent,
                           label="failover", after_count=AFTER)
    finally:
        killed = await centre.stop()
    # And they stop when told: a worker's last write once hung on a Sentinel connection its
    # interrupted BLPOP had left behind (crisis/redis_client.py), killed after 20 s.
    assert killed == [], killed
