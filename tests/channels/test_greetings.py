"""The live crises' greetings as the inbound pipeline sees them (channels/greetings.py, kept
per process by channels/desk.py)."""

from __future__ import annotations

from typing import Any

from channels.api import DESK
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.types import ConversationStatus
from tests.channels.conftest import CELL, signed, sms_form, until


async def test_a_crisis_activated_meanwhile_makes_its_urgent_words_count_at_once(
        kb: None, client: Any, ctx: Context) -> None:
    """The pipeline keeps the live greetings (their urgent keywords) a moment per process;
    the process that switches the greetings drops its copy, so an SMS right after the
    activation is told to call 112, however long the copy would have lasted."""
    desk = client.app[DESK]
    desk.greetings.ttl_s = 3600.0  # only the activation may refresh it
    store = desk.store

    async def queued_with(text: str) -> bool:
        items, _, _ = await store.page(status="queued", channel=None, limit=5, cursor=None)
        for item in items:
            if any(text in m.text for m in await store.messages(item.id)):
                return True
        return False

    headers, form = signed("/hooks/twilio/sms", sms_form("je suis coince chez moi", "SMg1",
                                                         "+33611111111"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    await until(lambda: store.page(status=None, channel=None, limit=5, cursor=None),
                ok=lambda page: any(c.status is not ConversationStatus.NEW for c in page[0]))
    assert not await queued_with("112")  # no crisis yet: not urgent
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75", level=2,
                            actor=CELL)
    await until(lambda: ctx.redis.hlen(desk.k.greetings))
    headers, form = signed("/hooks/twilio/sms", sms_form("je suis coince chez moi", "SMg2",
                                                         "+33622222222"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    await until(lambda: queued_with("112"))
