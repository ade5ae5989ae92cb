"""Degraded mode: answering at once, from memory, while Redis is unreachable.

When a webhook cannot store a message it goes to the local spool (channels/spool.py) and
the citizen would hear nothing until Redis is back. For the messages the centre can answer
without Redis, this module decides the answer from what the web process holds in memory:
the knowledge base's last index and thresholds (`KnowledgeBase.held_snapshot`) and the live
crises' urgent keywords, last read here while Redis answered. The decision is the desk's own
(`decide_inbound`, channels/inbound.py) on a new conversation, so the auto-answer rule and
threshold are the same; only a sure answer, or an urgent message's "call 112", is given
(`instant_reply`): a STOP, an alert request, a pulse answer, a request for a person, or any
fact that needs Redis (the wait, a subscription) give nothing now and wait for the replay.

The adapter carries the answer in the webhook's own response (TwiML's <Message>: no provider
call, no Redis), and the spooled message says what was answered, so the replay records it
in the conversation and counts it, and sends it no second time.

Bounded: at most PER_CITIZEN_PER_MINUTE instant answers per address a minute, counted in a
dict of at most MAX_CITIZENS addresses (the oldest forgotten first); beyond, only spooled.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from channels.greetings import Greeting
from channels.inbound import Fact, InboundFacts, Need, decide_inbound, fold, instant_reply
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, InboundMessage, InstantReply,
)
from knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
INSTANT_ANSWERS = Counter("crisis_degraded_answers_total",
                          "Answers given at once from memory in webhooks while Redis was "
                          "unreachable (degraded mode), by channel.", ["channel"])

PER_CITIZEN_PER_MINUTE = 3
MAX_CITIZENS = 10_000
WINDOW_S = 60.0
KEYWORDS_EVERY_S = 1.0
MAX_FACTS = 4  # urgent keywords, the answer, two articles


class DegradedAnswers:
    """What a web process can answer with Redis down; `keep_held` keeps its memory fresh."""

    def __init__(self, kb: KnowledgeBase, greetings: Callable[[], Awaitable[list[Greeting]]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kb = kb
        self.greetings = greetings
        self.clock = clock
        self._urgent: frozenset[str] | None = None  # None until read once
        self._given: collections.OrderedDict[str, tuple[float, int]] = collections.OrderedDict()

    async def keep_held(self, stop: asyncio.Event) -> None:
        """Read the live crises' urgent keywords every KEYWORDS_EVERY_S until `stop`; while
        Redis is down the last ones stay."""
        while not stop.is_set():
            try:
                greetings = await self.greetings()
                self._urgent = frozenset(w for g in greetings for w in g.urgent_keywords)
            except Exception:  # noqa: BLE001 - Redis down: keep the last keywords
                pass  # the outage is logged by the spool and the index refresh
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), KEYWORDS_EVERY_S)

    def holds(self) -> bool:
        """Whether this process holds what answering needs (it reached Redis at least once)."""
        return self.kb.held_snapshot(ChannelKind.SMS) is not None and self._urgent is not None

    def answer(self, message: InboundMessage) -> InstantReply | None:
        """The answer to give at once to `message`, or None (only spooled). No I/O. Never
        raises: an answer is a bonus, the spooling that follows it is not."""
        try:
            return self._answer(message)
        except Exception:  # logged; the message is still spooled and answered at the replay
            log.exception("degraded answer failed; the message is only spooled")
            return None

    def _answer(self, message: InboundMessage) -> InstantReply | None:
        snapshot = self.kb.held_snapshot(message.channel)
        if snapshot is None or self._urgent is None:
            return None  # nothing held yet: this process never reached Redis
        if self._spent(message.address):
            return None  # checked first: a flood from one number costs no search
        facts = InboundFacts(_new_conversation(message), fold(message.text), surge_wait_s=0,
                             site_url="")
        for _ in range(MAX_FACTS):
            decision = decide_inbound(facts)
            if not isinstance(decision, Need):
                break
            match decision.fact:
                case Fact.URGENT_KEYWORDS:
                    facts = dataclasses.replace(facts, urgent_keywords=self._urgent,
                                                greetings=())
                case Fact.ANSWER:
                    facts = dataclasses.replace(facts, answer=snapshot.answer_citizen(
                        message.text, lang=message.lang))
                case Fact.ARTICLE:
                    facts = dataclasses.replace(facts, articles={
                        **facts.articles, decision.article_id: snapshot.article(
                            decision.article_id)})
                case _:  # a fact only Redis holds (the wait, a subscription, a pulse)
                    return None
        else:
            return None
        reply = instant_reply(decision)
        if reply is not None:
            self._count(message.address)
            INSTANT_ANSWERS.labels(message.channel.value).inc()
        return reply

    def _window(self, address: str) -> tuple[float, int]:
        now = self.clock()
        start, count = self._given.get(address, (now, 0))
        return (now, 0) if now - start >= WINDOW_S else (start, count)

    def _spent(self, address: str) -> bool:
        """Whether `address` had its PER_CITIZEN_PER_MINUTE instant answers this minute."""
        return self._window(address)[1] >= PER_CITIZEN_PER_MINUTE

    def _count(self, address: str) -> None:
        start, count = self._window(address)
        self._given.pop(address, None)
        self._given[address] = (start, count + 1)  # last: the most recently answered
        while len(self._given) > MAX_CITIZENS:
            self._given.popitem(last=False)  # forget the least recently answered


def _new_conversation(message: InboundMessage) -> Conversation:
    """The conversation the decision sees: a new one (the real one, if any, is in Redis; the
    replay decides again with it)."""
    return Conversation(id="", channel=message.channel, citizen="", address_masked="",
                        status=ConversationStatus.NEW, lang=message.lang,
                        created_at=message.received_at, updated_at=message.received_at)
