"""Personal data does not outlive its use: the retention purge and its scheduling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rq.registry import ScheduledJobRegistry

from channels.api import DESK
from channels.retention import purge_closed
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.jobs import queue_name
from crisis.redis_client import sync_redis
from crisis.types import ChannelKind, InboundMessage, utcnow
from tests.channels.conftest import until
from tests.conftest import CELL


def inbound(address: str, sid: str) -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address=address, text="bonjour",
                          provider_id=sid, received_at=utcnow())


async def test_purge_deletes_closed_conversations_and_unused_addresses(client: Any,
                                                                       ctx: Context) -> None:
    desk = client.app[DESK]
    first = await desk.store.receive(inbound("+33600000001", "S1"))
    second = await desk.store.receive(inbound("+33600000002", "S2"))
    assert first is not None and second is not None
    gone = await desk.store.get(first.conversation_id)
    kept = await desk.store.get(second.conversation_id)
    await desk.close(gone.id, "test")
    report = await purge_closed(ctx.redis, desk.k, utcnow() + dt.timedelta(seconds=1))
    assert (report.conversations, report.citizens) == (1, 1)
    assert not await ctx.redis.exists(desk.k.conversation(gone.id), desk.k.messages(gone.id),
                                      desk.k.citizen(gone.citizen))
    assert await desk.store.address_of(await desk.store.get(kept.id)) == "+33600000002"
    again = await purge_closed(ctx.redis, desk.k, utcnow())
    assert again.conversations == 0


async def test_closing_a_crisis_schedules_the_purge(client: Any, ctx: Context,
                                                    redis_url: str) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "tempete", areas="29",
                                     level=1, actor=CELL)
    await ctx.crises.close(crisis.id, actor=CELL)
    connection = sync_redis(redis_url, decode=False)
    registry = ScheduledJobRegistry(queue_name(ctx.keys, "default"), connection=connection)

    async def scheduled() -> Any:
        return registry.get_job_ids()

    job_id = (await until(scheduled))[0]
    when = registry.get_scheduled_time(job_id)
    assert dt.timedelta(days=29) < when - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30)
    connection.close()
