"""An events read's citizen messages handled in phases (channels/inbound_phases.py): what the
citizen, the operators and the counters see is what the one-at-a-time path gives, and what
the phases cannot do is left to it."""

from __future__ import annotations


import asyncio
from collections.abc import Sequence

from channels import build_desk
from channels.desk import Desk
from channels.inbound_phases import InboundItem, InboundPhases
from crisis.context import Context
from crisis.lifecycle import ConversationAction
from crisis.types import ChannelKind, ConversationStatus, Direction
from knowledge_base import AutoAnswer, KnowledgeBase
from tests.channels.conftest import stored_sms

QUESTION = "leau du robinet est potable ?"


async def _received(desk: Desk, texts: Sequence[tuple[str, str]]) -> list[InboundItem]:
    """The SMS stored as the webhook stores them (no consumer runs): their events' items."""
    items = []
    for sender, text in texts:
        received, seq = await stored_sms(desk, text, sender)
        items.append(InboundItem(received.conversation_id, received.message.id, seq,
                                 received.created))
    return items


async def _counted(desk: Desk) -> tuple[float, float]:
    stats = await desk.ctx.redis.hgetall(desk.k.stats)
    return float(stats.get("contacts:sms", 0)), float(stats.get("auto:sms", 0))


async def _replies(desk: Desk, conversation_id: str) -> list[str]:
    return [m.text for m in await desk.store.messages(conversation_id)
            if m.direction is Direction.OUTBOUND]


async def test_a_batch_is_answered_once_and_what_needs_more_is_left(
        kb: None, ctx: Context) -> None:
    desk, _ = build_desk(ctx, KnowledgeBase.from_context(ctx))
    items = await _received(desk, [("+33612000001", QUESTION), ("+33612000002", "STOP"),
                                   ("+33612000003", QUESTION), ("+33612000004", "0")])
    phases = InboundPhases(desk)

    assert await phases.handle(items) == [1, 3]  # the STOP and the request for a person
    for item in (items[0], items[2]):
        conversation = await desk.store.get(item.conversation_id)
        assert conversation.status is ConversationStatus.AUTO_ANSWERED
        [reply] = [m for m in await desk.store.messages(item.conversation_id)
                   if m.direction is Direction.OUTBOUND]
        assert reply.id == f"{item.message_id}.1" and reply.article_id
        assert await desk.store.inbound_done(item.conversation_id) == 1
    assert await ctx.redis.xlen(desk.k.reply_stream) == 2
    assert await _counted(desk) == (2.0, 2.0)

    # The same events again (a redelivery): nothing answered, sent or counted twice.
    assert await phases.handle(items) == [1, 3]
    assert await ctx.redis.xlen(desk.k.reply_stream) == 2
    assert await _counted(desk) == (2.0, 2.0)
    assert len(await _replies(desk, items[0].conversation_id)) == 1

    # What was left goes the one-at-a-time way, as before.
    for item in (items[1], items[3]):
        await desk.process_inbound(item.conversation_id, new=item.new,
                                   message_id=item.message_id, seq=item.seq)
    assert (await desk.store.get(items[1].conversation_id)).status is ConversationStatus.CLOSED
    assert (await desk.store.get(items[3].conversation_id)).status is ConversationStatus.QUEUED
    assert (await _counted(desk))[0] == 4.0


async def test_a_status_an_operator_changed_meanwhile_is_not_overwritten(
        kb: None, ctx: Context) -> None:
    desk, _ = build_desk(ctx, KnowledgeBase.from_context(ctx))
    [item] = await _received(desk, [("+33612000005", QUESTION)])
    answer_citizens = desk.kb.answer_citizens

    async def queued_while_searching(messages: Sequence[tuple[str, str, ChannelKind]]
                                     ) -> list[AutoAnswer]:
        # Between the phases' read and their writes, the conversation is queued.
        await desk.store.transition(item.conversation_id, ConversationAction.QUEUE,
                                    actor="router")
        return await answer_citizens(messages)
    desk.kb.answer_citizens = queued_while_searching  # type: ignore[method-assign]

    assert await InboundPhases(desk).handle([item]) == [0]  # left: decided again
    assert (await desk.store.get(item.conversation_id)).status is ConversationStatus.QUEUED
    assert not await desk.store.handled(item.message_id or "")
    assert await _counted(desk) == (0.0, 0.0)


async def test_a_conversations_messages_of_one_batch_are_left_in_order(
        kb: None, ctx: Context) -> None:
    """Its second message must wait for its first: both go the one-at-a-time way, which
    keeps one conversation's order (crisis/events.py, channels/inbound_order.py)."""
    desk, _ = build_desk(ctx, KnowledgeBase.from_context(ctx))
    items = await _received(desk, [("+33612000006", "bonjour"), ("+33612000006", QUESTION),
                                   ("+33612000007", QUESTION)])
    assert items[0].conversation_id == items[1].conversation_id
    assert await InboundPhases(desk).handle(items) == [0, 1]


async def test_a_message_in_its_turn_goes_through_the_phases(kb: None, ctx: Context) -> None:
    desk, _ = build_desk(ctx, KnowledgeBase.from_context(ctx))
    phases = InboundPhases(desk)
    [first] = await _received(desk, [("+33612000008", "bonjour")])
    assert await phases.handle([first]) == []
    [second] = await _received(desk, [("+33612000008", QUESTION)])
    assert second.seq == 2 and second.conversation_id == first.conversation_id
    assert await phases.handle([second]) == []
    assert len(await _replies(desk, first.conversation_id)) == 2
    assert await desk.store.inbound_done(first.conversation_id) == 2
