"""The citizens' messages of one events read, handled in phases: a few round trips per batch.

`Desk.process_inbound` handles one message in about eight round trips (its view, the answer
count, the reply, the reply's entry, the transition, the marks...); 100 messages handled at
once still cost 800 writes, 800 reads and the event-loop wake-ups that go with them, a third
of the events process's CPU (docs/performance.md, "events pipeline"). Here the messages of
one XREADGROUP batch go through each step together:

  1. read: every message's view (conversation, recent messages, handled mark), one write;
  2. decide: the pure decision (channels/inbound.py) of each, its facts fetched for the whole
     batch at once: the knowledge base's answers (thresholds read once), the live articles
     (one round trip), the urgent keywords (held a second per process);
  3. write: every reply recorded and every transition (the script that writes only while the
     status is the one read), topic guesses and answer counts;
  4. hand over: every reply's entry in the reply stream;
  5. finish: every handled mark, in-order mark and counter.

Each phase waits for the one before, so a message's writes land in the order of the
one-at-a-time path: a crash leaves at worst what that path leaves, and the event, not yet
acknowledged, is handled again (replies keep their ids, the handled mark is written last).

Only the common case goes this way: a conversation's one message of the batch, in its turn,
whose decision is a reply, a transition from the status read, a topic guess and counters (an
auto-answer, small talk). Anything else (a queue, a STOP, an alert request, a pulse answer, a
degraded-mode answer, a conversation someone holds, a status changed meanwhile) is left to
`process_inbound`, which reads everything again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Sequence

from channels.desk import MAX_FACTS, Desk, automatic_reply_id, with_greetings
from channels.inbound import (
    Actions, CountAutoAnswer, Fact, InboundFacts, Need, Send, SetTopic, Transition,
    decide_inbound,
)
from channels.service_levels import Count
from channels.store import InboundView
from crisis.errors import InvalidTransition
from crisis.lifecycle import next_conversation_status
from crisis.types import Conversation, Message
from knowledge_base import Article, AutoAnswer


@dataclasses.dataclass(frozen=True, slots=True)
class InboundItem:
    """One citizen message's event (`conversation.message-received`)."""

    conversation_id: str
    message_id: str | None
    seq: int  # its rank among the conversation's inbound messages (0: unnumbered)
    new: bool  # it opened the conversation: counted as a contact


@dataclasses.dataclass(slots=True, eq=False)  # compared by identity
class _Pending:
    """A message on its way through the phases."""

    at: int  # its place in the batch
    item: InboundItem
    conversation: Conversation
    message: Message
    facts: InboundFacts
    actions: Actions = ()


# The facts fetched for the whole batch; a decision needing any other leaves the phases.
_BATCHED_FACTS = frozenset({Fact.URGENT_KEYWORDS, Fact.ANSWER, Fact.ARTICLE})


class InboundPhases:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.store = desk.store

    async def handle(self, items: Sequence[InboundItem]) -> list[int]:
        """Handle what can go through the phases; returns the places (in `items`) of the
        messages left to `process_inbound`, in order."""
        left: set[int] = set()
        per_conversation = Counter(item.conversation_id for item in items)
        candidates: list[int] = []
        for at, item in enumerate(items):
            # A conversation's second message of the batch waits for its first: both are
            # left, and the bus keeps their order.
            if item.message_id is None or per_conversation[item.conversation_id] > 1:
                left.add(at)
            else:
                candidates.append(at)
        views = await self.store.inbound_views(
            [(items[at].conversation_id, items[at].message_id or "") for at in candidates])
        surge_wait_s = (await self.desk.policies.get()).surge_wait_s
        pending: list[_Pending] = []
        for at, view in zip(candidates, views):
            match self._start(at, items[at], view, surge_wait_s):
                case _Pending() as started:
                    pending.append(started)
                case True:  # handled already (a redelivered event): nothing to do
                    pass
                case False:
                    left.add(at)
        decided = await self._decide(pending)
        taken = {p.at for p in decided}
        left.update(p.at for p in pending if p.at not in taken)
        left.update(await self._carry_out(decided))
        return sorted(left)

    def _start(self, at: int, item: InboundItem, view: InboundView | None,
               surge_wait_s: int) -> _Pending | bool:
        """The message's pending state; True when it was handled already, False when it is
        not for the phases."""
        if view is None or view.message is None:
            return False
        if view.handled:
            return True
        if item.seq > 1 and view.done < item.seq - 1:
            return False  # an earlier message of the conversation is not handled yet: wait
        if view.message.answered is not None:
            return False  # answered in degraded mode: recorded as sent, a rare path
        return _Pending(at, item, view.conversation, view.message,
                        self.desk.inbound_facts(view.conversation, view.message, surge_wait_s))

    async def _decide(self, pending: list[_Pending]) -> list[_Pending]:
        """Each message's actions, the facts it needs fetched for all of them together; the
        messages whose decision is for the phases (`_for_phases`)."""
        undecided = pending
        decided: list[_Pending] = []
        for _ in range(MAX_FACTS):
            needs: list[tuple[_Pending, Need]] = []
            for p in undecided:
                decision = decide_inbound(p.facts)
                if isinstance(decision, Need):
                    if decision.fact in _BATCHED_FACTS:
                        needs.append((p, decision))
                elif self._for_phases(p.conversation, decision):
                    p.actions = decision
                    decided.append(p)
            if not needs:
                break
            await self._fetch(needs)
            undecided = [p for p, _ in needs]
        return decided

    async def _fetch(self, needs: list[tuple[_Pending, Need]]) -> None:
        """The facts `needs` asks for, one round trip per kind for the whole batch."""
        asking = [p for p, need in needs if need.fact is Fact.ANSWER]
        answers: list[AutoAnswer] = await self.desk.kb.answer_citizens(
            [(p.message.text, p.conversation.lang, p.conversation.channel) for p in asking])
        for p, answer in zip(asking, answers):
            p.facts = dataclasses.replace(p.facts, answer=answer)
        ids = {need.article_id for _, need in needs if need.fact is Fact.ARTICLE}
        articles: dict[str, Article | None] = await self.desk.kb.live_articles(ids) if ids else {}
        greetings = await self.desk.greetings.get() \
            if any(need.fact is Fact.URGENT_KEYWORDS for _, need in needs) else []
        for p, need in needs:
            if need.fact is Fact.ARTICLE:
                known = {**p.facts.articles, need.article_id: articles[need.article_id]}
                p.facts = dataclasses.replace(p.facts, articles=known)
            elif need.fact is Fact.URGENT_KEYWORDS:
                p.facts = with_greetings(p.facts, greetings)

    def _for_phases(self, conversation: Conversation, actions: Actions) -> bool:
        """Whether the phases can carry the decision out: replies to a queued channel (the
        reply stream), transitions allowed from the status read, topic guesses, counters."""
        adapter = self.desk.outbox.adapters.get(conversation.channel)
        for action in actions:
            match action:
                case Send():
                    if adapter is None or not adapter.queued:
                        return False
                case Transition(step):
                    try:
                        next_conversation_status(conversation.status, step)
                    except InvalidTransition:
                        return False
                case SetTopic() | CountAutoAnswer():
                    pass
                case _:
                    return False
        return True

    async def _carry_out(self, decided: list[_Pending]) -> set[int]:
        """Phases 3 to 5 (see the module's docstring); returns the places of the messages
        left to `process_inbound` (their transition found another status)."""
        if not decided:
            return set()
        replies: list[tuple[_Pending, Message]] = []
        topics: list[tuple[str, str]] = []
        moves: list[tuple[_Pending, Transition]] = []
        for p in decided:
            sent = 0
            for action in p.actions:
                match action:
                    case Send(text, article_id):
                        sent += 1
                        replies.append((p, self.store.outbound_message(
                            self.desk.checked_text(text), "auto", article_id,
                            automatic_reply_id(p.message.id, sent))))
                    case SetTopic(topic) if not p.conversation.topic:
                        topics.append((p.conversation.id, topic))
                    case Transition() as move:
                        moves.append((p, move))
        # 3. The replies, the transitions, the topics and the answer counts.
        answers = [(p.facts.answer, p.conversation.lang, p.conversation.channel)
                   for p in decided if p.facts.answer is not None]
        _, moved, _, _ = await asyncio.gather(
            self.store.add_outbound_many([(p.conversation.id, m) for p, m in replies]),
            self.store.transitions_if_unchanged([
                (p.conversation, move.action, move.actor, dict(move.fields)) for p, move in moves]),
            self.store.guess_topics(topics), self.desk.kb.record_answers(answers))
        left: set[int] = set()
        for (p, move), written in zip(moves, moved):
            if written is None:  # its status changed meanwhile: decided again, one at a time
                left.add(p.at)
        # 4. Every recorded reply to its channel, as process_inbound hands them over before
        # its transition (whether or not the transition then found another status).
        await self.desk.outbox.replies.add_many(
            [(p.conversation.channel.value, p.conversation.id, m.id) for p, m in replies])
        # 5. The handled marks, the in-order marks and the counters, last.
        finished = [(p, self._counts(p)) for p in decided if p.at not in left]
        await self.store.finish_inbound_many(
            [(p.conversation.id, p.message.id, p.item.seq, counts) for p, counts in finished])
        self.desk.levels.counted([count for _, counts in finished for count in counts])
        return left

    def _counts(self, p: _Pending) -> list[Count]:
        levels, channel = self.desk.levels, p.conversation.channel
        counts = levels.contact_counts(channel) if p.item.new else []
        for action in p.actions:
            if isinstance(action, CountAutoAnswer):
                counts += levels.auto_answered_counts(channel)
        return counts

