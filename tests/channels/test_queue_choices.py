"""The queue notice's choices: a question the knowledge base is not sure enough to answer is
queued as ever, and its notice lists the likeliest articles; the citizen's bare number sends
that article and takes the conversation off the queue, never across an operator. Real Redis,
the real desk and knowledge base (lexical: no embeddings needed here)."""

from __future__ import annotations


import dataclasses
import secrets

import pytest

from channels import build_desk
from channels.answer_forms import auto_answer
from channels.desk import Desk
from channels.inbound_phases import InboundItem, InboundPhases
from channels.messages import say
from crisis.context import Context
from crisis.types import (
    ChannelKind, ConversationStatus, Direction, Message, OperatorStatus,
)
from knowledge_base import KnowledgeBase
from tests.conftest import CELL
from tests.knowledge_base.test_semantic import articles
from tests.channels.conftest import stored_sms

# The fast path is not sure (it shares only "demain" with the schools' article): queued.
UNSURE = "les enfants vont en classe demain ?"
SCHOOLS = "ecoles"


@pytest.fixture
async def desk(ctx: Context) -> Desk:
    kb = KnowledgeBase(ctx.redis, ctx.keys, ctx.bus, semantic=False)
    await kb.import_articles(articles(), actor=CELL)
    built, _ = build_desk(ctx, kb)
    return built


async def _say(desk: Desk, text: str, sender: str) -> str:
    """An SMS as the webhook stores it, handled as the events process does."""
    received, seq = await stored_sms(desk, text, sender)
    await desk.process_inbound(received.conversation_id, new=received.created,
                               message_id=received.message.id, seq=seq)
    return received.conversation_id


async def _sent(desk: Desk, conversation_id: str) -> list[Message]:
    return [m for m in await desk.store.messages(conversation_id)
            if m.direction is Direction.OUTBOUND and m.author == "auto"]


def _sender() -> str:
    return f"+3361{secrets.randbelow(10**7):07d}"


async def test_the_queue_notice_offers_the_likeliest_articles_and_a_number_answers(
        desk: Desk) -> None:
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    queued = await desk.store.get(conversation_id)
    assert queued.status is ConversationStatus.QUEUED
    assert SCHOOLS in queued.choices and 1 <= len(queued.choices) <= 3
    [notice] = await _sent(desk, conversation_id)
    lines = notice.text.splitlines()
    assert lines[0].startswith("Un conseiller va vous répondre")  # the place, as ever
    assert lines[1] == say("queue_choices", "fr")
    number = queued.choices.index(SCHOOLS) + 1
    schools = await desk.kb.answer_article(SCHOOLS)
    assert f"{number}. {schools.question}" in lines  # the article's question, numbered
    assert len(lines) == 2 + len(queued.choices)

    await _say(desk, f"{number}", sender)
    after = await desk.store.get(conversation_id)
    assert after.status is ConversationStatus.AUTO_ANSWERED
    assert after.choices == ()  # a later number is a question again
    assert await desk.router.position(conversation_id) is None  # off the operators' queue
    reply = (await _sent(desk, conversation_id))[-1]
    assert (reply.article_id, reply.text) == (
        SCHOOLS, auto_answer(schools, ChannelKind.SMS, "fr"))
    [last] = await desk.ctx.redis.lrange(desk.k.transitions(conversation_id), -1, -1)
    assert str(last).startswith("auto-answered ")
    # The learning loop: the question (not the number) proposed as a phrasing of the article
    # picked, for the cell to validate.
    [learnt] = await desk.kb.pending_alternates(SCHOOLS)
    assert (learnt.text, learnt.source, learnt.proposed_by) == (
        UNSURE, "citizen-choice", "event:citizen-choice")


async def test_a_number_off_the_menu_stays_with_the_operators(desk: Desk) -> None:
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    await _say(desk, "9", sender)
    after = await desk.store.get(conversation_id)
    assert after.status is ConversationStatus.QUEUED
    assert await desk.router.position(conversation_id) == 1
    assert [m.article_id for m in await _sent(desk, conversation_id)] == [None]  # the notice


async def test_an_operator_who_has_the_conversation_reads_the_number(desk: Desk) -> None:
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    await desk.set_operator_status("agent-1", OperatorStatus.AVAILABLE, actor="agent-1")
    assert (await desk.store.get(conversation_id)).operator == "agent-1"
    await _say(desk, "1", sender)
    after = await desk.store.get(conversation_id)
    assert (after.status, after.operator) == (ConversationStatus.ASSIGNED, "agent-1")
    assert [m.article_id for m in await _sent(desk, conversation_id)] == [None]


async def test_an_operator_offered_it_just_before_the_number_wins(desk: Desk) -> None:
    """The router's offer and the citizen's number race: the offer came first, so the
    transaction writes nothing and the number goes to the operator's screen."""
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    await desk.router.set_operator("agent-2", OperatorStatus.AVAILABLE)
    assert await desk.router.assign() == [(conversation_id, "agent-2")]
    live = desk.ctx.redis.pubsub()
    await live.subscribe(desk.k.live)
    await _say(desk, "1", sender)
    after = await desk.store.get(conversation_id)
    assert (after.status, after.operator) == (ConversationStatus.QUEUED, "agent-2")
    assert [m.article_id for m in await _sent(desk, conversation_id)] == [None]
    seen = [await live.get_message(ignore_subscribe_messages=True, timeout=1) for _ in range(3)]
    assert any(m and "agent-2" in str(m["data"]) for m in seen)
    await live.aclose()


async def test_a_question_nothing_resembles_gets_no_menu(desk: Desk) -> None:
    conversation_id = await _say(desk, "recette de la tarte aux pommes", _sender())
    queued = await desk.store.get(conversation_id)
    assert queued.status is ConversationStatus.QUEUED
    assert queued.choices == ()
    [notice] = await _sent(desk, conversation_id)
    assert say("queue_choices", "fr") not in notice.text


async def test_the_choices_are_the_cells_to_turn_off(ctx: Context) -> None:
    """CRISIS_KB_CHOICES=0: the notice is the place alone, as before."""
    off = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, kb_choices=0))
    kb = KnowledgeBase(ctx.redis, ctx.keys, ctx.bus, semantic=False)
    await kb.import_articles(articles(), actor=CELL)
    desk, _ = build_desk(off, kb)
    conversation_id = await _say(desk, UNSURE, _sender())
    assert (await desk.store.get(conversation_id)).choices == ()
    [notice] = await _sent(desk, conversation_id)
    assert "\n" not in notice.text


async def test_the_events_process_leaves_a_pick_to_the_one_at_a_time_path(desk: Desk) -> None:
    """The batch phases carry out replies and plain transitions only: a pick (off the queue,
    in a checked transaction) is left to `process_inbound`, which answers it."""
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    number = (await desk.store.get(conversation_id)).choices.index(SCHOOLS) + 1
    received, seq = await stored_sms(desk, str(number), sender)
    item = InboundItem(conversation_id, received.message.id, seq, received.created)
    assert await InboundPhases(desk).handle([item]) == [0]
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.QUEUED
    await desk.process_inbound(conversation_id, message_id=received.message.id, seq=seq)
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.AUTO_ANSWERED
    assert (await _sent(desk, conversation_id))[-1].article_id == SCHOOLS


async def test_back_in_the_queue_after_an_operator_the_menu_is_gone(desk: Desk) -> None:
    """An operator talked with the citizen, then gave the conversation back: a number is now
    theirs to read, not a pick from a menu offered before."""
    sender = _sender()
    conversation_id = await _say(desk, UNSURE, sender)
    await desk.set_operator_status("agent-3", OperatorStatus.AVAILABLE, actor="agent-3")
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.ASSIGNED
    assert await desk.requeue(conversation_id, "agent-3", actor="agent-3")
    back = await desk.store.get(conversation_id)
    assert (back.status, back.choices) == (ConversationStatus.QUEUED, ())
    await _say(desk, "1", sender)
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.QUEUED
