"""The contact desk: queueing, assignment, replies, closing, requeueing, queue care.

Inbound: `process_inbound` gathers what the pure decision of channels/inbound.py needs (only
when it needs it) and carries out the actions it returns. Outbound: stored first, then handed
to the Outbox (channels/outbox.py), which looks the channel's adapter up in the table: the
reply job for a provider's channel, at once for a live one. The desk never branches on the
channel. The conversation records themselves are written by the
ConversationStore only.

Over 500 lines (the house's mark for a justification): every change of a conversation's state
that the console, the pipeline and the second look make goes through here, so the one place to
read who may move a conversation stays one; its reads are in channels/desk_reads.py.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import textwrap
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, assert_never, cast

from channels.access import ConversationAccess
from channels.alerts.pulses import Pulses
from channels.alerts.subscriptions import Subscriptions
from channels.desk_reads import DeskReads
from channels.greetings import GREETINGS_TTL_S, Greeting, live_greetings
from channels.answer_forms import auto_answer
from channels.inbound import (
    NO_PULSE, PROVIDER_KEYWORDS, Actions, AnswerChosen, AskSecondLook, ConfirmOptOut,
    CountAutoAnswer, CountPulseAnswer,
    EndAlerts, Fact, InboundFacts, Need, OpenPulse, PublishLive, Queue, RecordFeedback,
    RecordSent, Send, SetOptOut, SetTopic, Subscribe, Transition, decide_inbound, fold,
)
from channels.inbound_order import InboundTurns
from channels.keys import ChannelKeys
from channels.messages import say
from channels.outbox import Outbox
from channels.policy import PolicyCache, QueuePolicy
from channels.router import OperatorState, Router, skill_of
from channels.service_levels import Count, ServiceLevels, WaitEstimates, capacity_of
from channels.skills import Skills
from channels.second_look_requests import SecondLookRequests
from channels.store import ConversationStore, choices_fields
from channels.ttl_cache import TtlCache
from crisis.audit import audit_entry, write_audit
from crisis.context import Context
from crisis.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from crisis.events import make_event
from crisis.lifecycle import ConversationAction
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, DeliveryStatus, EventType, Message,
    OperatorStatus, Principal, utcnow,
)
from knowledge_base import Article, AutoAnswer, KnowledgeBase, question_of

log = logging.getLogger(__name__)


class Answerer(Protocol):
    """The knowledge base's answer to a citizen's message (`KnowledgeBase.answer_citizen`)."""

    def __call__(self, text: str, lang: str, channel: ChannelKind, *,
                 second_look: bool = True) -> Awaitable[AutoAnswer]: ...


ArticleOf = Callable[[str], Awaitable[Article]]  # the live article of an id, or NotFound

MAX_REPLY_CHARS = 1600
REQUEUABLE = frozenset({ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN})
# Facts one decision may ask for: the urgent keywords, the answer, two articles, the wait.
MAX_FACTS = 8
SECOND_LOOK_ACTOR = "second-look"  # who answered, in the conversation's transition event
CHOICE_ACTOR = "citizen-choice"  # the citizen picked the answer from the queue notice's menu
CHOICE_TITLE_CHARS = 60  # an offered article's question, shortened: three must fit an SMS or two


def with_greetings(facts: InboundFacts, greetings: Sequence[Greeting]) -> InboundFacts:
    """`facts` with the live greetings' urgent keywords and their messages in the
    conversation's language (Fact.URGENT_KEYWORDS)."""
    return dataclasses.replace(facts, urgent_keywords=frozenset(
        word for greeting in greetings for word in greeting.urgent_keywords),
        greetings=tuple(g.ivr.in_lang(facts.conversation.lang) for g in greetings))


def automatic_reply_id(message_id: str, n: int | str) -> str:
    """The id of the n-th automatic message answering citizen message `message_id` ("q": the
    queue notice). Derived, not drawn: whichever path handles the message, and however many
    times, a reply is recorded and sent once (`process_inbound` and the events phases)."""
    return f"{message_id}.{n}"


class Desk(DeskReads):
    """The contact centre's one door: the pipeline, the console and the API act through its
    methods (reads in channels/desk_reads.py), never on its store or router directly."""

    def __init__(self, ctx: Context, store: ConversationStore, router: Router, kb: KnowledgeBase,
                 outbox: Outbox) -> None:
        self.ctx = ctx
        self.kb = kb
        self.article_of: ArticleOf = kb.answer_article
        self.store = store
        self.router = router
        self.outbox = outbox
        self.k: ChannelKeys = store.k
        self.levels = ServiceLevels(ctx.redis, store.k)
        self.policies = PolicyCache(ctx.redis, store.k)
        self.waits = WaitEstimates(self.levels, self._free_capacity)
        self.answerer: Answerer = kb.answer_citizen
        self.turns = InboundTurns(store)
        self.alerts = Subscriptions(ctx.redis, store.k, ctx.secret)
        self.pulses = Pulses(ctx.redis, store.k)
        self.second_looks = SecondLookRequests(ctx.redis, store.k)
        self.provider_keywords = PROVIDER_KEYWORDS[ctx.settings.twilio_keyword_replies]
        # The live crises' greetings (urgent keywords), read again after GREETINGS_TTL_S: the
        # process that handles a crisis's activation drops its copy at once (channels/
        # __init__.py), the others within the TTL, as for the queue policy.
        self.greetings = TtlCache(lambda: live_greetings(ctx), GREETINGS_TTL_S)

    async def process_inbound(self, conversation_id: str, *, new: bool = False,
                              message_id: str | None = None, seq: int = 0) -> None:
        """Decide what to do with citizen message `message_id` (default: the latest) and do
        it, in its turn among the conversation's inbound messages (`seq`, see
        channels/inbound_order.py)."""
        async with self.turns.turn(conversation_id, seq) as turn:
            conversation, last, handled = await self.store.inbound_view(conversation_id,
                                                                        message_id)
            # Handled once: an event redelivered after a failover or a lost acknowledgement
            # is skipped; one that died half-way is handled again, and its replies, whose ids
            # derive from the message's (`_carry_out`), are not recorded or sent twice.
            if last is None or handled:
                return
            # The counters go with the marks, in the message's last round trip: written once
            # the message is handled, so a retried one is not counted twice.
            counts = self.levels.contact_counts(conversation.channel) if new else []
            await self._carry_out(conversation, await self._decide(conversation, last),
                                  replying_to=last.id, counts=counts, seq=seq)
            await self.store.finish_inbound(conversation_id, last.id, seq, counts)
            self.levels.counted(counts)
            turn.marked = True

    async def _decide(self, conversation: Conversation, last: Message) -> Actions:
        """Ask the decision (channels/inbound.py), fetching each fact it needs when it needs
        it: a STOP or an urgent message never asks the knowledge base."""
        facts = self.inbound_facts(conversation, last, (await self.policies.get()).surge_wait_s)
        for _ in range(MAX_FACTS):
            decision = decide_inbound(facts)
            if not isinstance(decision, Need):
                return decision
            facts = await self._fetch(facts, decision, last)
        raise RuntimeError(f"the inbound decision kept asking for facts ({decision})")

    def inbound_facts(self, conversation: Conversation, message: Message,
                      surge_wait_s: int) -> InboundFacts:
        """What the decision knows of `message` before it asks for anything (the phases of
        channels/inbound_phases.py start from the same)."""
        return InboundFacts(conversation, fold(message.text), surge_wait_s=surge_wait_s,
                            site_url=self.ctx.settings.base_url + "/",
                            provider_keywords=self.provider_keywords, answered=message.answered,
                            max_choices=self.ctx.settings.kb_choices)

    async def _fetch(self, facts: InboundFacts, need: Need, last: Message) -> InboundFacts:
        conversation = facts.conversation
        match need.fact:
            case Fact.URGENT_KEYWORDS:
                return with_greetings(facts, await self.greetings.get())
            case Fact.ANSWER:
                # A message answered from memory while Redis was down (by the fast path
                # alone): the replay keeps that path's decision, no second look.
                answer = await self.answerer(last.text, conversation.lang, conversation.channel,
                                             second_look=last.answered is None)
                return dataclasses.replace(facts, answer=answer)
            case Fact.ARTICLE:
                try:
                    article: Article | None = await self.article_of(need.article_id)
                except NotFound:
                    article = None
                return dataclasses.replace(
                    facts, articles={**facts.articles, need.article_id: article})
            case Fact.ALERT_AREAS:
                subscription = await self.alerts.of_citizen(conversation.channel.value,
                                                            conversation.citizen)
                return dataclasses.replace(
                    facts, alert_areas=subscription.areas if subscription else ())
            case Fact.PULSE:
                pulse_id, options = await self.pulses.open_for(conversation.channel.value,
                                                               conversation.citizen)
                return dataclasses.replace(
                    facts, pulse=OpenPulse(pulse_id, options) if pulse_id else NO_PULSE)
            case Fact.WAIT:
                position = await self.router.queue_length() + 1
                return dataclasses.replace(facts, wait_s=await self.waits.seconds_for(position))
            case _:
                assert_never(need.fact)

    async def _carry_out(self, conversation: Conversation, actions: Actions,
                         replying_to: str | None = None, counts: list[Count] | None = None,
                         seq: int = 0) -> None:
        """Carry out the decision's actions in order; with `replying_to` (the citizen message
        answered) the automatic messages get `automatic_reply_id`s, so carrying them out
        again records and sends nothing twice. Counters are added to `counts` (written by
        the caller with its last writes) when given."""
        def numbered(n: int | str) -> str | None:
            return automatic_reply_id(replying_to, n) if replying_to else None

        # (An unnumbered message could not be told from a newer one: no look asked.)
        looking = bool(replying_to and seq) and any(
            isinstance(action, AskSecondLook) for action in actions)
        sent = 0
        for action in actions:
            match action:
                case Send(text, article_id):
                    sent += 1
                    await self.send(conversation, text, author="auto", article_id=article_id,
                                    message_id=numbered(sent))
                case RecordSent(text, article_id):
                    # Numbered like a Send, so a redelivered event records it once too.
                    sent += 1
                    await self.store.add_outbound(
                        conversation.id, text, "auto", article_id,
                        numbered(sent), DeliveryStatus.SENT)
                case ConfirmOptOut(text):
                    # Marked as the STOP's confirmation, so the channel still delivers it.
                    message = await self.store.add_opt_out_notice(conversation.id, text, "auto")
                    await self._hand_over(conversation, message)
                case SetOptOut(opted_out):
                    await self.store.set_opted_out(conversation.citizen, opted_out)
                case Queue(urgent, tags, choices):
                    # A question left to the second look: its notice waits for the look.
                    await self.queue(conversation, urgent=urgent, tags=tags, choices=choices,
                                     notice_id=numbered("q"),
                                     notice_held_for=replying_to if looking else None)
                case AnswerChosen(article):
                    await self.answer_chosen(conversation, replying_to or "", seq, article)
                case Transition(step, actor, fields):
                    # From the status read at the start (one round trip); when it changed
                    # meanwhile, the store reads it again.
                    await self.store.transition_from(conversation, step, actor=actor,
                                                     **dict(fields))
                case SetTopic(topic):  # the queue then uses the topic that won
                    conversation = await self.store.guess_topic(conversation, topic)
                case CountAutoAnswer():
                    if counts is None:
                        await self.levels.auto_answered(conversation.channel)
                    else:
                        counts += self.levels.auto_answered_counts(conversation.channel)
                case PublishLive(kind, operator):
                    await self.publish_live(kind, conversation.id, operator)
                case Subscribe(areas):
                    await self.alerts.subscribe(
                        conversation.channel.value, await self.store.address_of(conversation),
                        areas, lang=conversation.lang,
                        source=f"{conversation.channel.value} message")
                case EndAlerts():
                    await self.alerts.unsubscribe_citizen(conversation.channel.value,
                                                          conversation.citizen)
                case CountPulseAnswer(pulse_id, option):
                    await self.pulses.record_answer(pulse_id, conversation.channel.value,
                                                    conversation.citizen, option)
                case RecordFeedback(article_id, useful):
                    try:
                        await self.kb.record_feedback(article_id, useful)
                    except NotFound:  # an old button of an article since withdrawn
                        log.info("feedback on an unknown article", extra={"article": article_id})
                case AskSecondLook(question):
                    asked = looking and await self.second_looks.ask(
                        conversation.id, replying_to or "", seq)
                    if not asked:  # nobody will look: a missing answer for the cell now
                        if looking:  # and the notice held for the look goes at once
                            await self.release_notice(conversation.id, replying_to or "")
                        await self.kb.record_unanswered(question, conversation.lang,
                                                        conversation.channel)
                case _:
                    assert_never(action)

    @staticmethod
    def _skill(conversation: Conversation) -> str:
        return skill_of(conversation.lang, conversation.channel, conversation.topic)

    async def _free_capacity(self) -> int:
        return capacity_of(await self.router.operators())

    async def tend_queue(self) -> None:
        """Overflow offers and paced wait updates for citizens in the queue."""
        policy = await self.policies.get()
        now = time.time()
        since = cast(dict[str, str], await self.ctx.redis.hgetall(self.k.queue_since))
        for conversation_id, entered in since.items():
            conversation = await self.store.get(conversation_id)
            waited = now - float(entered)
            if policy.overflow_wait_s and waited > policy.overflow_wait_s \
                    and "overflow" not in conversation.tags:
                await self.send(conversation, say("overflow", conversation.lang,
                                                  conversation.channel).format(
                    site=self.ctx.settings.base_url + "/"), author="auto")
                await self.store.set_tags(conversation_id, [*conversation.tags, "overflow"])
            elif await self.store.claim_wait_update(conversation_id, policy.update_interval_s):
                position = await self.router.position(conversation_id) or 1
                minutes = await self.waits.minutes_for(position)
                await self.send(conversation, say("queued", conversation.lang).format(
                    position=position, minutes=minutes), author="auto")

    async def tend_queue_once(self, every_s: int) -> None:
        """`tend_queue`, unless another process tended it in the last `every_s`."""
        if await self.ctx.redis.set(self.k.tend_lock, "1", nx=True, ex=every_s):
            await self.tend_queue()

    async def requeue_expired_offers(self) -> None:
        """Offers not opened in time go back to the head of the queue."""
        for conversation_id in await self.router.expired_offers():
            conversation = await self.store.get(conversation_id)
            if conversation.operator:
                await self.requeue(conversation_id, conversation.operator, actor="router")
            else:
                await self.router.accept(conversation_id)

    async def queue(self, conversation: Conversation, *, urgent: bool = False,
                    tags: tuple[str, ...] = (), choices: tuple[str, ...] = (),
                    notice_id: str | None = None, notice_held_for: str | None = None) -> None:
        """Queue the conversation for the operators and tell the citizen their place, with
        the articles of `choices` to pick by number meanwhile; with `notice_held_for` (the
        citizen message a second look is asked for) the notice waits for the look
        (`release_notice`)."""
        offered = await self._live_articles(choices)
        await self.store.transition(conversation.id, ConversationAction.QUEUE, actor="router",
                                    priority="1" if urgent else "0",
                                    tags=json.dumps(sorted({*conversation.tags, *tags})),
                                    **choices_fields(a.id for a in offered))
        # The "you are number N" message sent (or held) counts as the first update.
        await self.store.claim_wait_update(conversation.id,
                                           (await self.policies.get()).update_interval_s)
        await self.router.enqueue(conversation.id, self._skill(conversation), urgent=urgent)
        if notice_held_for:
            await self.second_looks.hold_notice(conversation.id, notice_held_for)
        else:
            await self._send_queue_notice(conversation, notice_id, offered)
        await self.publish_live("queued", conversation.id, None)
        await self.assign()

    async def _send_queue_notice(self, conversation: Conversation, notice_id: str | None,
                                 offered: Sequence[Article]) -> None:
        """The citizen's place and wait, with the numbered menu of `offered` (the articles
        stored as the conversation's choices, in their order)."""
        position = await self.router.position(conversation.id) or 1
        minutes = await self.waits.minutes_for(position)
        text = say("queued", conversation.lang).format(position=position, minutes=minutes)
        if offered:
            text += "\n".join(["", say("queue_choices", conversation.lang), *(
                f"{n}. {textwrap.shorten(a.question, CHOICE_TITLE_CHARS, placeholder='…')}"
                for n, a in enumerate(offered, start=1))])
        await self.send(conversation, text, author="auto", message_id=notice_id)

    async def _live_articles(self, ids: Sequence[str]) -> list[Article]:
        """The articles of `ids` still published, in order (one round trip)."""
        found = await self.kb.live_articles(ids)
        return [article for i in ids if (article := found.get(i)) is not None]

    async def release_notice(self, conversation_id: str, message_id: str,
                             choices: tuple[str, ...] | None = None) -> bool:
        """Send the queue notice held for citizen message `message_id` while a second look
        decided (it did not answer); whether it was sent. Once, whoever calls first; not
        when an operator has the conversation by now or it left the queue. `choices`: the
        articles its menu offers instead of those chosen when it was queued (the look's
        better ranked ones). The menu sent is stored by the caller that sends the notice
        (those still published), so the numbers a citizen reads are the ones a number picks."""
        if not await self.second_looks.claim_notice(conversation_id, message_id):
            return False
        try:
            conversation = await self.store.get(conversation_id)
        except NotFound:  # purged meanwhile
            return False
        if conversation.status is not ConversationStatus.QUEUED or conversation.operator:
            return False
        offered = await self._live_articles(
            conversation.choices if choices is None else choices)
        if tuple(a.id for a in offered) != conversation.choices:
            await self.store.set_choices(conversation_id, tuple(a.id for a in offered))
        await self._send_queue_notice(conversation, automatic_reply_id(message_id, "q"), offered)
        return True

    async def release_overdue_notices(self, now: float | None = None) -> int:
        """Send the queue notices held longer than a second look may take (no worker looked:
        none running, or killed mid-look); how many were sent."""
        sent = 0
        for conversation_id, message_id in await self.second_looks.overdue_notices(now):
            sent += await self.release_notice(conversation_id, message_id)
        return sent

    async def answer_after_second_look(self, conversation: Conversation, message_id: str,
                                       seq: int, article: Article) -> bool:
        """The second look's automatic answer to citizen message `message_id` (its `seq`-th):
        recorded, the conversation moved to auto-answered and taken off the queue in one
        transaction, only while it is queued, no operator holds it and the citizen's latest
        message is still that one; then sent as the fast path's answers are. False, nothing
        written, when an operator or a newer message came first."""
        return await self._answer_from_queue(
            conversation, article, actor=SECOND_LOOK_ACTOR, reply_id=automatic_reply_id(
                message_id, "look"), seq=seq,
            also=lambda pipe: self._answered_by_look(pipe, conversation.id, message_id))

    async def answer_chosen(self, conversation: Conversation, message_id: str, seq: int,
                            article: Article) -> bool:
        """`article`, which a queued citizen picked by number (citizen message `message_id`,
        its `seq`-th), sent, the conversation off the queue, as `answer_after_second_look`
        does; when an operator took it first, the number reaches them as any message would."""
        answered = await self._answer_from_queue(
            conversation, article, actor=CHOICE_ACTOR,
            reply_id=automatic_reply_id(message_id, "chosen") if message_id else None,
            seq=seq or None, also=lambda pipe: self.router.dequeue_in(pipe, conversation.id))
        if not answered:
            now = await self.store.get(conversation.id)
            await self.publish_live("message", conversation.id, now.operator)
            return False
        # The learning loop: the question the menu was offered for (the citizen's turn, the
        # number aside) becomes a proposed phrasing of the article picked.
        turn = await self.store.citizen_turn(conversation.id)
        question = question_of([m.text for m in turn if m.id != message_id])
        if question:
            await self.kb.record_citizen_choice(question, article.id)
        return True

    async def _answer_from_queue(self, conversation: Conversation, article: Article, *,
                                 actor: str, reply_id: str | None, seq: int | None,
                                 also: Callable[[Any], None]) -> bool:
        """`article` recorded as the answer, the conversation moved to auto-answered (its
        choices dropped) and `also` written, in one transaction, only while it is queued, no
        operator holds it and (with `seq`) the citizen's latest message is that one; then
        sent. False, nothing written, when an operator or a newer message came first."""
        message = self.store.outbound_message(
            self._checked(auto_answer(article, conversation.channel, conversation.lang)), "auto",
            article.id, reply_id)

        def unclaimed(now: Conversation) -> None:
            if now.status is not ConversationStatus.QUEUED or now.operator:
                raise Conflict("an operator has the conversation")
        try:
            answered = await self.store.checked_transition(
                conversation.id, ConversationAction.AUTO_ANSWER, actor=actor,
                fields=choices_fields(), guard=unclaimed, outbound=message, latest_seq=seq,
                also=also)
        except (Conflict, InvalidTransition, NotFound):
            return False
        await self._hand_over(answered, message)
        await self.levels.auto_answered(conversation.channel)
        await self.kb.count_automatic_answer(article.id)
        await self.publish_live("auto-answered", conversation.id, None)  # off the queue's panel
        return True

    def _answered_by_look(self, pipe: Any, conversation_id: str, message_id: str) -> None:
        """In the look's answer's transaction: off the queue, and its held notice dropped."""
        self.router.dequeue_in(pipe, conversation_id)
        self.second_looks.drop_notice_in(pipe, conversation_id, message_id)

    async def assign(self) -> None:
        policy = await self.policies.get()
        for conversation_id, operator in await self.router.assign(
                skill_wait_s=policy.skill_wait_s, lang_wait_s=policy.lang_wait_s):
            try:
                await self.store.transition(conversation_id, ConversationAction.ASSIGN,
                                            actor="router", operator=operator)
            except (InvalidTransition, NotFound):  # closed by the citizen meanwhile
                await self.router.release(conversation_id, operator)
                continue
            await self.publish_live("assigned", conversation_id, operator)

    @staticmethod
    def _checked(text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidInput("the reply is empty")
        if len(text) > MAX_REPLY_CHARS:
            raise InvalidInput(f"the reply is too long: at most {MAX_REPLY_CHARS} characters")
        return text

    checked_text = _checked  # for the inbound phases (channels/inbound_phases.py)

    async def _hand_over(self, conversation: Conversation, message: Message) -> None:
        """Give a recorded outbound message to its channel (channels/outbox.py)."""
        await self.outbox.hand_over(conversation, message)

    async def send(self, conversation: Conversation, text: str, *, author: str,
                   article_id: str | None = None, message_id: str | None = None) -> Message:
        """Store an outbound message, then hand it to its channel."""
        message = await self.store.add_outbound(conversation.id, self._checked(text), author,
                                                article_id, message_id)
        await self._hand_over(conversation, message)
        return message

    async def send_via(self, kind: ChannelKind, conversation_id: str, text: str, *,
                       author: str) -> Message:
        """Store an outbound message and send it by channel `kind` rather than the
        conversation's own (a caller gets the instructions by SMS)."""
        conversation = await self.store.get(conversation_id)
        message = await self.store.add_outbound(conversation_id, self._checked(text), author)
        await self.outbox.hand_over(conversation, message, via=kind)
        return message

    async def reply(self, conversation_id: str, text: str, principal: Principal,
                    article_id: str | None = None) -> Message:
        """An operator's answer: check, record, then send.

        The state check (a conversation that is assigned or waiting for the citizen, held by
        the caller unless a supervisor: channels/access.py) and the recording of the message
        are one Redis transaction; the message goes to its channel only once both succeeded.
        So a refused reply (closed, still queued, moved to another operator meanwhile: 409 or
        403) never reaches the citizen.
        """
        message = self.store.outbound_message(self._checked(text), principal.name, article_id)
        conversation = await self.store.get(conversation_id)
        first = conversation.first_human_reply_at is None
        conversation = await self.store.checked_transition(
            conversation_id, ConversationAction.REPLY, actor=principal.name,
            guard=ConversationAccess(principal).check_read, outbound=message,
            fields={"first_human_reply_at":
                    (conversation.first_human_reply_at or utcnow()).isoformat()})
        if first:
            await self.levels.first_reply(conversation)
        await self.router.accept(conversation_id)
        await self._hand_over(conversation, message)
        # Every console shows it at once, whichever web process the reply came through
        # (the console's form, the API).
        await self.publish_live("replied", conversation_id, principal.name)
        return message

    async def learn_from_reply(self, conversation_id: str, article_id: str,
                               operator: Principal) -> None:
        """The learning loop: the citizen's question (the messages of their last turn that ask
        something: not "bonjour" or "svp") becomes a proposed phrasing of the article the
        operator answered with, pending the cell's validation."""
        turn = await self.store.citizen_turn(conversation_id)
        try:
            await self.kb.record_operator_answer(question_of([m.text for m in turn]), article_id, operator)
        except (NotFound, InvalidInput):
            log.info("answer not learnt", extra={"article": article_id})

    async def close(self, conversation_id: str, actor: str, wrap_up: str = "") -> Conversation:
        conversation = await self.store.get(conversation_id)
        closed = await self.store.transition(conversation_id, ConversationAction.CLOSE,
                                             actor=actor, wrap_up=wrap_up[:100],
                                             closed_at=utcnow().isoformat())
        await self.router.dequeue(conversation_id)
        waiting = conversation.status in (ConversationStatus.QUEUED, ConversationStatus.NEW)
        await self.levels.closed(conversation, abandoned=waiting and
                                 conversation.first_human_reply_at is None)
        if conversation.operator:
            await self.router.release(conversation_id, conversation.operator)
        await self.publish_live("closed", conversation_id, conversation.operator)
        await self.assign()
        return closed

    async def requeue(self, conversation_id: str, operator: str | None, actor: str,
                      **changes: str) -> bool:
        """Back to the head of the queue (offer not accepted, operator gone, transfer);
        `changes` (topic, lang, transfer note) are written with the transition, so the
        conversation waits in the queue of its new skill. False when it was not open.

        Released before requeued: the router refuses to queue a conversation someone holds,
        and queued only once its status says so, so another process's assignment of it
        always finds it queued.
        """
        conversation = await self.store.get(conversation_id)
        if operator:
            await self.router.release(conversation_id, operator)
        if conversation.status in REQUEUABLE:
            action = ConversationAction.REQUEUE
            # An operator has talked with the citizen since the menu was offered: a bare
            # number now answers them, not the menu.
            changes = {**changes, **choices_fields()}
        elif conversation.status is ConversationStatus.QUEUED and changes:
            action = ConversationAction.QUEUE  # a queued conversation moved to another skill
        else:
            return False
        await self.store.transition(conversation_id, action, actor=actor, operator="", **changes)
        skill = skill_of(changes.get("lang", conversation.lang), conversation.channel,
                         changes.get("topic", conversation.topic))
        await self.router.enqueue(conversation_id, skill, head=True)
        await self.publish_live("requeued", conversation_id, operator)
        return True

    async def accept_offer(self, conversation_id: str) -> None:
        """The operator opened the conversation offered to them: it no longer times out."""
        await self.router.accept(conversation_id)

    async def give_to(self, conversation: Conversation, target: str, actor: str) -> None:
        """Give the conversation (queued or held) to operator `target` as an offer
        (`Router.move`: InvalidInput when they are unavailable, full or have it already)."""
        previous = await self.router.move(conversation.id, target)
        if conversation.status is ConversationStatus.QUEUED:
            await self.store.transition(conversation.id, ConversationAction.ASSIGN, actor=actor,
                                        operator=target)
        await self.announce_transfer(conversation.id, actor, to=target, previous=previous or "")
        if previous:
            await self.publish_live("transferred", conversation.id, previous)
        await self.publish_live("assigned", conversation.id, target)

    async def announce_transfer(self, conversation_id: str, actor: str, *, to: str,
                                previous: str) -> None:
        await self.ctx.bus.publish(make_event(EventType.CONVERSATION_TRANSFERRED, actor=actor,
                                              subject=conversation_id, to=to, previous=previous))

    async def set_tags(self, conversation: Conversation, tags: list[str], topic: str) -> None:
        """An operator's tags and topic; a queued conversation moves to its topic's queue."""
        await self.store.set_tags(conversation.id, tags, topic)
        if conversation.status is ConversationStatus.QUEUED:
            await self.router.enqueue(conversation.id,
                                      skill_of(conversation.lang, conversation.channel, topic))
            await self.assign()
        await self.publish_live("updated", conversation.id, conversation.operator)

    async def set_operator_status(self, name: str, status: OperatorStatus, *, actor: str,
                                  capacity: int | None = None,
                                  skills: Skills | None = None) -> OperatorState:
        """An operator's status, and capacity and skills when given (else kept). Offline,
        their conversations go back to the head of the queue; then the queue is served."""
        await self.router.set_operator(
            name, status, capacity=capacity, langs=skills.langs if skills else None,
            topics=skills.topics if skills else None, channels=skills.channels if skills else None)
        if status is OperatorStatus.OFFLINE:
            for conversation_id in (await self.router.operator(name)).conversations:
                await self.requeue(conversation_id, name, actor=actor)
        await self.assign()
        return await self.router.operator(name)

    async def set_operator_skills(self, name: str, skills: Skills) -> None:
        """A supervisor sets a known operator's skills (InvalidInput otherwise)."""
        await self.router.set_skills(name, skills)
        await self.assign()
        await self.publish_live("skills", "", name)

    async def set_policy(self, policy: QueuePolicy) -> None:
        """This process applies it at once, the others within a second (PolicyCache)."""
        await self.policies.save(policy)

    async def record_reading(self, principal: Principal, conversation_id: str) -> None:
        """Who opened which conversation, in the audit trail (a citizen's words were read)."""
        await write_audit(self.ctx.redis, self.ctx.keys,
                          audit_entry(principal, "conversation.read", conversation_id))

    async def publish_live(self, kind: str, conversation_id: str, operator: str | None) -> None:
        payload: dict[str, Any] = {"type": kind, "conversation": conversation_id,
                                   "operator": operator}
        await self.ctx.redis.publish(self.k.live, json.dumps(payload))
