"""Surge mode and overflow: self-service first when the wait is long, offers while waiting."""

from __future__ import annotations

from typing import Any

from channels.api import DESK
from channels.policy import QueuePolicy, save_policy
from crisis.context import Context
from crisis.types import Direction, Role
from tests.channels.conftest import signed, sms_form, until
from tests.conftest import bearer


async def _texts(desk: Any, conversation_id: str) -> list[str]:
    return [m.text for m in await desk.store.messages(conversation_id)
            if m.direction is Direction.OUTBOUND]


async def test_in_surge_a_citizen_gets_self_service_and_stays_only_on_request(
    kb: None, client: Any, ctx: Context
) -> None:
    desk = client.app[DESK]
    await save_policy(ctx.redis, desk.k, QueuePolicy(surge_wait_s=60))  # no operator: long wait
    headers, form = signed("/hooks/twilio/sms", sms_form("mon voisin fait du bruit la nuit que faire", "SG1"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)

    async def offered() -> Any:
        items, _, _ = await desk.store.page(status="auto-answered", channel=None, limit=1,
                                            cursor=None)
        return items

    conversation = (await until(offered))[0]
    texts = await _texts(desk, conversation.id)
    assert any("Forte" in t for t in texts), texts
    assert any("Forte affluence" in t and "https://crisis.example.gouv.fr/" in t for t in texts)
    assert await desk.router.queue_length() == 0  # not queued unless they ask
    headers, form = signed("/hooks/twilio/sms", sms_form("1", "SG2"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)

    async def queued() -> Any:
        return await desk.router.queue_length()

    await until(queued)


async def test_overflow_offer_and_paced_updates(kb: None, client: Any, ctx: Context) -> None:
    desk = client.app[DESK]
    await save_policy(ctx.redis, desk.k, QueuePolicy(surge_wait_s=0, overflow_wait_s=1,
                                                     update_interval_s=60))
    headers, form = signed("/hooks/twilio/sms", sms_form("je veux un conseiller", "OV1"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)

    async def queued() -> Any:
        items, _, _ = await desk.store.page(status="queued", channel=None, limit=1, cursor=None)
        return items

    conversation = (await until(queued))[0]

    async def overflowed() -> Any:
        await desk.tend_queue()
        return any("L'attente est longue" in t for t in await _texts(desk, conversation.id))

    await until(overflowed)
    before = len(await _texts(desk, conversation.id))
    for _ in range(3):
        await desk.tend_queue()
    # Updates are paced: tending again within the interval sends nothing more.
    assert len(await _texts(desk, conversation.id)) == before


async def test_policy_api_validates(client: Any, ctx: Context) -> None:
    headers = await bearer(ctx, "sup", Role.SUPERVISOR)
    response = await client.put("/api/contact-centre/policy", headers=headers,
                                json={"surge_wait_s": 300, "update_interval_s": 5})
    assert response.status == 400 and "update_interval_s" in (await response.json())["error"]["message"]
    response = await client.put("/api/contact-centre/policy", headers=headers,
                                json={"surge_wait_s": 300})
    assert (await response.json())["surge_wait_s"] == 300
    assert (await (await client.get("/api/contact-centre/policy", headers=headers)).json()
            )["surge_wait_s"] == 300


async def test_wait_estimates_follow_capacity_but_read_it_at_most_once_per_ttl(
    client: Any, ctx: Context
) -> None:
    from channels.service_levels import DEFAULT_HANDLING_S, WaitEstimates

    desk = client.app[DESK]
    now = [100.0]
    capacity = [2]
    reads: list[int] = []

    async def free_capacity() -> int:
        reads.append(capacity[0])
        return capacity[0]

    waits = WaitEstimates(desk.levels, free_capacity, ttl_s=1.0, clock=lambda: now[0])
    assert await waits.seconds_for(4) == round(4 * DEFAULT_HANDLING_S / 2)
    capacity[0] = 0  # every operator went on pause
    now[0] += 0.5
    assert await waits.seconds_for(4) == round(4 * DEFAULT_HANDLING_S / 2)  # within the ttl
    now[0] += 0.6
    assert await waits.seconds_for(4) == 4 * DEFAULT_HANDLING_S  # no capacity counts as one
    assert await waits.minutes_for(1) == 3
    assert reads == [2, 0]
