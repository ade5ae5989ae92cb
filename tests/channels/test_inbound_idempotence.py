"""A citizen's message handled twice (its event redelivered after a Redis failover, or a
consumer that died after answering but before acknowledging) is answered once."""

from __future__ import annotations

from typing import Any

from channels.api import DESK
from crisis.types import ConversationStatus, Direction
from tests.channels.conftest import signed, sms_form
from tests.support.polling import until


async def _answered(client: Any) -> Any:
    store = client.app[DESK].store

    async def answered() -> Any:
        items, _, _ = await store.page(status=ConversationStatus.AUTO_ANSWERED.value,
                                       channel=None, limit=5, cursor=None)
        return items
    return (await until(answered))[0]


async def test_a_redelivered_message_is_not_answered_again(kb: None, client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("leau du robinet est potable ?", "SMi1"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    desk = client.app[DESK]
    conversation = await _answered(client)
    before = await desk.store.messages(conversation.id)
    citizen = next(m for m in before if m.direction is Direction.INBOUND)

    await desk.process_inbound(conversation.id, message_id=citizen.id, seq=1)  # redelivered
    assert await desk.store.messages(conversation.id) == before

    # Died after answering, before marking the message handled: handled again, and its
    # answer, whose id derives from the citizen's message, is not recorded twice.
    await desk.ctx.redis.delete(desk.k.handled(citizen.id))
    await desk.process_inbound(conversation.id, message_id=citizen.id, seq=1)
    after = await desk.store.messages(conversation.id)
    assert [m.id for m in after] == [m.id for m in before]
    assert len([m for m in after if m.direction is Direction.OUTBOUND]) == 1


async def test_a_message_handled_again_is_counted_once(kb: None, client: Any) -> None:
    """The contact and auto-answer counters (service levels, the situation view) are
    written with the handled mark, in one script: a redelivered event adds nothing to them
    (the contact was counted again before), and a handling that dies before its last writes
    has counted nothing yet."""
    headers, form = signed("/hooks/twilio/sms", sms_form("leau du robinet est potable ?", "SMi2"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    desk = client.app[DESK]
    conversation = await _answered(client)

    async def counted() -> tuple[float, float]:
        stats = await desk.ctx.redis.hgetall(desk.k.stats)
        return float(stats.get("contacts:sms", 0)), float(stats.get("auto:sms", 0))

    assert await until(counted, ok=lambda got: got == (1.0, 1.0)) == (1.0, 1.0)
    assert await desk.store.inbound_done(conversation.id) == 1
    citizen = next(m for m in await desk.store.messages(conversation.id)
                   if m.direction is Direction.INBOUND)
    await desk.process_inbound(conversation.id, new=True, message_id=citizen.id, seq=1)
    assert await counted() == (1.0, 1.0)
