"""The channel port's contract: every adapter goes through the same checks.

Each channel's rig (tests/channels/adapter_rigs.py) builds the real adapter against its
stand-in; the checks run it with the real store and the real sending path (the reply job's
Outbound for a provider's channel, the desk's Outbox for a live one):
  - a forged request is refused (Forbidden) and nothing is stored;
  - a provider's redelivery of the same message is stored once;
  - a reply is sent, once, with its delivery recorded;
  - a retryable provider failure raises for RQ to retry, and the retry sends it once;
  - a permanent failure is recorded on the message for the operator to see;
  - a delivery receipt is recorded on the message;
  - a channel that says it answers in its acknowledgement (`replies_in_acknowledgement`,
    what degraded mode relies on) carries the whole notice in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from channels.keys import ChannelKeys
from channels.outbound import Outbound
from channels.outbox import Outbox
from channels.pacing import Pacer
from channels.store import ConversationStore
from crisis.context import Context
from crisis.errors import ChannelError, Forbidden
from crisis.settings import Settings
from crisis.types import DeliveryStatus, Message
from testbed.twilio import TwilioStandIn
from tests.channels.adapter_rigs import LIVE, RIGS, make_rig

REPLY = "Restez chez vous et suivez les consignes."


@pytest.fixture(params=RIGS)
async def rig(request: pytest.FixtureRequest, ctx: Context, settings: Settings,
              twilio: tuple[TwilioStandIn, str]) -> AsyncIterator[Any]:
    async for made in make_rig(request.param, ctx, settings, twilio):
        yield made


@pytest.fixture
def store(ctx: Context) -> ConversationStore:
    return ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)


async def _conversation_with_reply(rig: Any, store: ConversationStore, n: int
                                   ) -> tuple[str, Message]:
    [inbound] = rig.adapter.parse_inbound(rig.inbound("ma cave est inondée", f"IN{n}",
                                                      rig.address(n)))
    received = await store.receive(inbound)
    assert received is not None
    return received.conversation_id, await store.add_outbound(received.conversation_id,
                                                              REPLY, "auto")


async def _send(rig: Any, store: ConversationStore, ctx: Context, conversation_id: str,
                message: Message) -> str:
    """Through the path the desk uses for this channel: the reply job, or at once."""
    adapters = {rig.adapter.kind: rig.adapter}
    if rig.adapter.queued:
        kit = Outbound(store, adapters, Pacer(ctx.redis, store.k))
        return await kit.send(rig.adapter.kind, conversation_id, message.id)
    await Outbox(store, ctx.jobs, adapters).hand_over(await store.get(conversation_id), message)
    return ""


async def _status(store: ConversationStore, conversation_id: str, message_id: str
                  ) -> DeliveryStatus:
    return next(m.status for m in await store.messages(conversation_id) if m.id == message_id)


async def test_a_forged_request_is_refused(rig: Any) -> None:
    request = rig.inbound("bonjour", "IN1", rig.address(1))
    with pytest.raises(rig.refusal):
        rig.adapter.parse_inbound(rig.forged(request))
    assert len(rig.adapter.parse_inbound(request)) == 1  # the genuine one passes


async def test_an_answer_goes_whole_in_the_acknowledgement_or_not_at_all(rig: Any) -> None:
    """A channel that answers in its acknowledgement (the degraded mode's instant answer)
    carries the whole text; one that answers by its own sends only carries none of it (the
    answer would otherwise reach the citizen twice: now, and after the replay)."""
    messages = rig.adapter.parse_inbound(rig.inbound("l'eau est potable ?", "INack",
                                                     rig.address(9)))
    reply = rig.adapter.acknowledge(messages, REPLY + " Répondez 0.")
    body = reply.body.decode("utf-8") if isinstance(reply.body, bytes) else str(reply.body or "")
    if rig.adapter.replies_in_acknowledgement:
        assert (REPLY + " Répondez 0.") in body
    else:
        assert REPLY not in body


async def test_a_redelivered_message_is_stored_once(rig: Any, store: ConversationStore) -> None:
    request = rig.inbound("où dormir ce soir ?", "INdup", rig.address(2))
    first = [await store.receive(m) for m in rig.adapter.parse_inbound(request)]
    again = [await store.receive(m) for m in rig.adapter.parse_inbound(request)]
    assert first[0] is not None and again == [None]
    assert [m.text for m in await store.messages(first[0].conversation_id)] == \
        ["où dormir ce soir ?"]


async def test_a_reply_is_sent_once(rig: Any, store: ConversationStore, ctx: Context) -> None:
    conversation_id, message = await _conversation_with_reply(rig, store, 3)
    provider_id = await _send(rig, store, ctx, conversation_id, message)
    assert await rig.sent() == [REPLY]
    if rig.adapter.queued:  # a provider's channel records the send and its id
        assert await _status(store, conversation_id, message.id) is DeliveryStatus.SENT
        assert await _send(rig, store, ctx, conversation_id, message) == "already sent"
        assert provider_id and await rig.sent() == [REPLY]


@pytest.mark.parametrize("rig", [r for r in RIGS if r not in LIVE], indirect=True)
async def test_a_retryable_failure_is_retried_and_sent_once(
        rig: Any, store: ConversationStore, ctx: Context) -> None:
    conversation_id, message = await _conversation_with_reply(rig, store, 4)
    rig.fail_next(retryable=True)
    with pytest.raises(ChannelError) as raised:
        await _send(rig, store, ctx, conversation_id, message)
    assert raised.value.retryable
    assert await _status(store, conversation_id, message.id) is DeliveryStatus.QUEUED
    await _send(rig, store, ctx, conversation_id, message)  # RQ's retry
    assert await rig.sent() == [REPLY]
    assert await _status(store, conversation_id, message.id) is DeliveryStatus.SENT


@pytest.mark.parametrize("rig", [r for r in RIGS if r not in LIVE], indirect=True)
async def test_a_permanent_failure_is_reported_on_the_message(
        rig: Any, store: ConversationStore, ctx: Context) -> None:
    conversation_id, message = await _conversation_with_reply(rig, store, 5)
    rig.fail_next(retryable=False)
    outcome = await _send(rig, store, ctx, conversation_id, message)
    assert outcome.startswith("failed")
    assert await _status(store, conversation_id, message.id) is DeliveryStatus.FAILED
    assert await rig.sent() == []


async def test_a_delivery_receipt_is_recorded(rig: Any, store: ConversationStore,
                                              ctx: Context) -> None:
    if not rig.has_receipts:
        assert rig.adapter.parse_delivery(rig.inbound("x", "INr", rig.address(6))) is None
        return
    conversation_id, message = await _conversation_with_reply(rig, store, 6)
    provider_id = await _send(rig, store, ctx, conversation_id, message)
    receipt, reported = rig.receipt(provider_id)
    report = rig.adapter.parse_delivery(receipt)
    assert report is not None and report.status is reported
    assert await store.delivery_by_provider(report.provider_id, report.status)
    assert await _status(store, conversation_id, message.id) is reported
    if rig.refusal is Forbidden:  # a signed channel's forged receipt is refused too
        with pytest.raises(Forbidden):
            rig.adapter.parse_delivery(rig.forged(receipt))


@pytest.mark.parametrize("rig", [r for r in RIGS if r not in LIVE], indirect=True)
async def test_a_send_whose_worker_died_mid_call_is_not_sent_again(
        rig: Any, store: ConversationStore, ctx: Context) -> None:
    """The provider may have it: a retry finding the "sending" mark of a dead attempt does not
    send (never twice) and records the message failed for the operator to see."""
    conversation_id, message = await _conversation_with_reply(rig, store, 7)
    await ctx.redis.set(store.k.sending(message.id), "1")  # an attempt that never came back
    outcome = await _send(rig, store, ctx, conversation_id, message)
    assert outcome.startswith("unknown")
    assert await rig.sent() == []
    assert await _status(store, conversation_id, message.id) is DeliveryStatus.FAILED
