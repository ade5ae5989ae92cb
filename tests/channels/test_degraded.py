"""Degraded mode's answers from memory (channels/degraded.py): nothing before the process
held the index once, a sure answer then, and at most PER_CITIZEN_PER_MINUTE a minute per
number in a bounded memory. (With Redis really stopped: tests/faults/test_degraded_mode.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from channels import degraded as degraded_module
from channels.degraded import DegradedAnswers
from channels.greetings import Greeting
from crisis.context import Context
from crisis.types import ChannelKind, InboundMessage, Text, utcnow
from knowledge_base import KnowledgeBase
from tests.support.polling import until

SURE = "leau du robinet est potable ?"
FLOOD = Greeting("inondation-1", 2, Text(fr="Bonjour", en="Hello"), (), ("coince", "noye"))


def sms(text: str, number: str = "+33612345678") -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address=number, text=text,
                          provider_id="SMx", received_at=utcnow())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def held(kb: None, ctx: Context) -> AsyncIterator[tuple[DegradedAnswers, Clock]]:
    """Answers from a knowledge base kept fresh in the background, as in a web process."""
    knowledge = KnowledgeBase.from_context(ctx)

    async def greetings() -> list[Greeting]:
        return [FLOOD]
    clock = Clock()
    answers = DegradedAnswers(knowledge, greetings, clock=clock)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(knowledge.keep_fresh(stop)),
             asyncio.create_task(answers.keep_held(stop))]
    await until(lambda: _holds(answers), 10)
    yield answers, clock
    stop.set()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _holds(answers: DegradedAnswers) -> bool:
    return answers.holds()


async def test_nothing_is_answered_before_the_index_was_held_once(ctx: Context) -> None:
    async def greetings() -> list[Greeting]:
        return []
    answers = DegradedAnswers(KnowledgeBase.from_context(ctx), greetings)
    assert not answers.holds() and answers.answer(sms(SURE)) is None


async def test_a_sure_question_is_answered_and_an_urgent_one_told_to_call_112(
        held: tuple[DegradedAnswers, Clock]) -> None:
    answers, _ = held
    reply = answers.answer(sms(SURE))
    assert reply is not None and reply.article_id and "répondez 0" in reply.text
    urgent = answers.answer(sms("je suis coince dans ma voiture", "+33600000009"))
    assert urgent is not None and urgent.article_id is None and "112" in urgent.text
    assert answers.answer(sms("ARRÊT", "+33600000008")) is None
    assert answers.answer(sms("quel est le score du match de rugby hier soir ?", "+33600000007")) is None


async def test_three_answers_a_minute_per_number_then_only_spooled(
        held: tuple[DegradedAnswers, Clock]) -> None:
    answers, clock = held
    given = [answers.answer(sms(SURE)) is not None for _ in range(4)]
    assert given == [True, True, True, False]
    assert answers.answer(sms(SURE, "+33600000001")) is not None  # another number
    clock.now += 61
    assert answers.answer(sms(SURE)) is not None  # a new minute


async def test_the_memory_of_numbers_is_bounded(held: tuple[DegradedAnswers, Clock],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    answers, _ = held
    monkeypatch.setattr(degraded_module, "MAX_CITIZENS", 2)
    monkeypatch.setattr(degraded_module, "PER_CITIZEN_PER_MINUTE", 1)
    assert answers.answer(sms(SURE, "+33600000001")) is not None
    assert answers.answer(sms(SURE, "+33600000001")) is None
    for number in ("+33600000002", "+33600000003"):
        assert answers.answer(sms(SURE, number)) is not None
    # The first number was the least recently answered of three: forgotten, so answered again.
    assert answers.answer(sms(SURE, "+33600000001")) is not None


async def test_a_failing_answer_leaves_the_message_to_the_spool(
        held: tuple[DegradedAnswers, Clock], monkeypatch: pytest.MonkeyPatch) -> None:
    answers, _ = held

    def broken(channel: ChannelKind) -> None:
        raise RuntimeError("a bug of ours")
    monkeypatch.setattr(answers.kb, "held_snapshot", broken)
    assert answers.answer(sms(SURE)) is None  # logged; the webhook still spools and acks
