"""Delivery statuses on outbound messages: found by their index, not by reading the list."""

from __future__ import annotations

from typing import Any

from channels.keys import ChannelKeys
from channels.store import ConversationStore
from crisis.context import Context
from crisis.types import (
    ChannelKind, DeliveryStatus, InboundMessage, utcnow,
)


def _store(ctx: Context) -> ConversationStore:
    return ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)


async def _conversation(store: ConversationStore) -> str:
    received = await store.receive(InboundMessage(
        channel=ChannelKind.SMS, address="+33612345678", text="bonjour", provider_id="SMd1",
        received_at=utcnow()))
    assert received is not None
    return received.conversation_id


async def test_set_delivery_reads_one_message_not_the_whole_conversation(
        ctx: Context, monkeypatch: Any) -> None:
    store = _store(ctx)
    conversation_id = await _conversation(store)
    sent = [await store.add_outbound(conversation_id, f"reponse {n}", "auto") for n in range(300)]
    target = sent[150]

    async def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("set_delivery read the whole message list")
    monkeypatch.setattr(store.redis, "lrange", no_scan)
    await store.set_delivery(conversation_id, target.id, DeliveryStatus.SENT, "SMout150")
    assert await store.delivery_by_provider("SMout150", DeliveryStatus.DELIVERED)
    monkeypatch.undo()

    messages = {m.id: m for m in await store.messages(conversation_id)}
    assert messages[target.id].status is DeliveryStatus.DELIVERED
    assert messages[target.id].provider_id == "SMout150"
    assert messages[target.id].text == "reponse 150"
    others = [m for m in sent if m.id != target.id]
    assert all(messages[m.id].status is DeliveryStatus.QUEUED for m in others)


async def test_an_unknown_message_changes_nothing(ctx: Context) -> None:
    store = _store(ctx)
    conversation_id = await _conversation(store)
    before = await store.messages(conversation_id)
    await store.set_delivery(conversation_id, "mnothere", DeliveryStatus.SENT, "SMx")
    assert await store.messages(conversation_id) == before
    assert not await store.delivery_by_provider("SMx", DeliveryStatus.DELIVERED)

