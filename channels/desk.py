"""The contact desk: what happens to a citizen's message, and to an operator's reply.

Inbound: opt-out keywords, then urgent keywords (tell them to call 112, queue first), then a
request for a person (queue), then the knowledge base's auto-answer (answer at once when
confident), else the queue with the expected wait. Outbound: stored first, then handed to the
channel (an RQ job for SMS, the live socket for chat). Channel-neutral: the adapters table
decides how a message leaves.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any, cast

import msgspec

from channels.greetings import live_greetings
from channels.keys import ChannelKeys
from channels.messages import say
from channels.policy import PolicyCache
from channels.router import Router, skill_of
from channels.skills import topic_for_tags
from channels.inbound_order import InboundTurns
from channels.service_levels import ServiceLevels, WaitEstimates, capacity_of
from channels.store import ConversationStore
from crisis.context import Context
from crisis.errors import InvalidInput, InvalidTransition, NotFound
from crisis.lifecycle import ConversationAction
from crisis.types import ChannelKind, Conversation, ConversationStatus, Message, Principal, utcnow
from knowledge_base.answer import AutoAnswer
from knowledge_base.intents import Intent
from knowledge_base.service import get_live_article, record_operator_answer

log = logging.getLogger(__name__)

Answerer = Callable[[str, str, ChannelKind], Awaitable[AutoAnswer]]
ArticleText = Callable[[str, bool], Awaitable[str]]  # (article id, short form for SMS)
Sender = Callable[[Conversation, Message], Awaitable[None]]

STOP_WORDS = frozenset({"stop", "arret", "arreter", "unsubscribe", "desabonner"})
START_WORDS = frozenset({"start", "unstop", "reprendre"})
HUMAN_WORDS = frozenset({"0", "agent", "humain", "conseiller", "operateur"})
MAX_REPLY_CHARS = 1600
# In surge, a below-threshold answer this likely to be right is offered as "may help".
SURGE_SUGGESTION_CONFIDENCE = 0.5
# A queued question takes the topic of the auto-answer's best guess from this confidence on:
# a wrong topic only costs the skill wait, so the bar is lower than for answering.
TOPIC_GUESS_CONFIDENCE = 0.2
REQUEUABLE = frozenset({ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


class Desk:
    def __init__(self, ctx: Context, store: ConversationStore, router: Router,
                 answerer: Answerer, article_text: ArticleText,
                 senders: dict[ChannelKind, Sender]) -> None:
        self.ctx = ctx
        self.article_text = article_text
        self.store = store
        self.router = router
        self.answerer = answerer
        self.senders = senders
        self.k: ChannelKeys = store.k
        self.levels = ServiceLevels(ctx.redis, store.k)
        self.policies = PolicyCache(ctx.redis, store.k)
        self.waits = WaitEstimates(self.levels, self._free_capacity)
        self.turns = InboundTurns(ctx.redis, store.k)

    async def process_inbound(self, conversation_id: str, *, new: bool = False,
                              message_id: str | None = None, seq: int = 0) -> None:
        """Decide what to do with citizen message `message_id` (default: the latest), in its
        turn among the conversation's inbound messages (`seq`, see channels/inbound_order.py)."""
        async with self.turns.turn(conversation_id, seq):
            await self._inbound(conversation_id, new, message_id)

    async def _inbound(self, conversation_id: str, new: bool, message_id: str | None) -> None:
        conversation = await self.store.get(conversation_id)
        if new:
            await self.levels.contact(conversation.channel)
        last = await self.store.last_citizen_message(conversation_id, message_id)
        if last is None:
            return
        text = fold(last.text)
        if conversation.channel is ChannelKind.SMS and text in STOP_WORDS | START_WORDS:
            await self._opt(conversation, text in STOP_WORDS)
            return
        if conversation.status in (ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN):
            await self.store.transition(conversation_id, ConversationAction.CITIZEN_REPLY,
                                        actor="citizen")
            await self.publish_live("message", conversation_id, conversation.operator)
            return
        if conversation.status is ConversationStatus.QUEUED:
            await self.publish_live("message", conversation_id, None)
            return
        await self._first_answer(conversation, last, text)

    async def _first_answer(self, conversation: Conversation, last: Message, text: str) -> None:
        lang = conversation.lang
        if await self._is_urgent(text):
            await self.send(conversation, say("urgent", lang), author="auto")
            await self.queue(conversation, urgent=True)
            return
        if text in HUMAN_WORDS or (text == "1" and "surge" in conversation.tags):
            await self.queue(conversation)
            return
        if text == "2" and {"surge", "overflow"} & set(conversation.tags):
            await self.send(conversation, say("callback", lang), author="auto")
            await self.queue(conversation, tags=("callback",))
            return
        answer = await self.answerer(last.text, lang, conversation.channel)
        if answer.intent is Intent.QUESTION and not conversation.topic:
            # Kept even when answered: for when the citizen then asks for a person.
            conversation = await self._guess_topic(conversation, answer)
        if answer.answer_id is None and answer.intent is Intent.QUESTION \
                and await self._surge(conversation, answer):
            return
        if answer.intent is Intent.HUMAN:
            await self.queue(conversation)
        elif answer.answer_id is not None:
            body = await self._article_text(answer.answer_id, conversation.channel)
            await self.send(conversation, f"{body}\n{say('human_hint', lang)}", author="auto",
                            article_id=answer.answer_id)
            await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                        actor="knowledge-base")
            await self.levels.auto_answered(conversation.channel)
        elif answer.intent in (Intent.GREETING, Intent.THANKS, Intent.GOODBYE, Intent.EMPTY):
            await self.send(conversation, say(f"intent_{answer.intent.value}", lang), author="auto")
            if conversation.status is ConversationStatus.NEW:
                await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                            actor="knowledge-base")
        else:
            await self.queue(conversation)

    async def _guess_topic(self, conversation: Conversation, answer: AutoAnswer) -> Conversation:
        """The conversation with the topic its likeliest (or answering) article's tags suggest,
        stored unless an operator set one meanwhile (then that one is kept)."""
        if not answer.candidates or answer.confidence < TOPIC_GUESS_CONFIDENCE:
            return conversation
        article = await get_live_article(self.ctx, answer.candidates[0][0])
        topic = topic_for_tags(article.tags) if article is not None else ""
        if not topic:
            return conversation
        if not await self.ctx.redis.hsetnx(self.k.conversation(conversation.id), "topic", topic):
            return await self.store.get(conversation.id)
        return msgspec.structs.replace(conversation, topic=topic)

    @staticmethod
    def _skill(conversation: Conversation) -> str:
        return skill_of(conversation.lang, conversation.channel, conversation.topic)

    async def _article_text(self, article_id: str, channel: ChannelKind) -> str:
        return await self.article_text(article_id, channel is ChannelKind.SMS)

    async def _is_urgent(self, text: str) -> bool:
        words = set(text.replace("'", " ").split())
        return any(set(g.urgent_keywords) & words for g in await live_greetings(self.ctx))

    async def _opt(self, conversation: Conversation, out: bool) -> None:
        if out:
            await self.ctx.redis.sadd(self.k.optout, conversation.citizen)
        else:
            await self.ctx.redis.srem(self.k.optout, conversation.citizen)
        await self.store.add_outbound(conversation.id, say("opt_out" if out else "opt_in",
                                                           conversation.lang), "auto")
        if conversation.status is not ConversationStatus.CLOSED:
            await self.store.transition(conversation.id, ConversationAction.CLOSE, actor="citizen")

    async def _surge(self, conversation: Conversation, answer: AutoAnswer) -> bool:
        """In surge, offer self-service first; the citizen stays in the queue only on request."""
        policy = await self.policies.get()
        if not policy.surge_wait_s:
            return False
        position = await self.router.queue_length() + 1
        wait = await self.waits.seconds_for(position)
        if wait < policy.surge_wait_s:
            return False
        lang = conversation.lang
        if answer.candidates and answer.confidence >= SURGE_SUGGESTION_CONFIDENCE:
            text = await self.article_text(answer.candidates[0][0],
                                           conversation.channel is ChannelKind.SMS)
            await self.send(conversation, say("surge_answer", lang).format(answer=text),
                            author="auto", article_id=answer.candidates[0][0])
        await self.send(conversation, say("surge", lang).format(
            minutes=max(1, round(wait / 60)), site=self.ctx.settings.base_url + "/"), author="auto")
        await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                    actor="router", tags=json.dumps(["surge"]))
        return True

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
                await self.send(conversation, say("overflow", conversation.lang).format(
                    site=self.ctx.settings.base_url + "/"), author="auto")
                await self.ctx.redis.hset(self.k.conversation(conversation_id), "tags",
                                          json.dumps([*conversation.tags, "overflow"]))
            elif await self._update_due(conversation_id, policy.update_interval_s):
                position = await self.router.position(conversation_id) or 1
                minutes = await self.waits.minutes_for(position)
                await self.send(conversation, say("queued", conversation.lang).format(
                    position=position, minutes=minutes), author="auto")

    async def _update_due(self, conversation_id: str, interval: int) -> bool:
        """True at most once per `interval` per conversation, across all processes."""
        key = self.k.conversation(conversation_id) + ":update"
        return bool(await self.ctx.redis.set(key, "1", nx=True, ex=interval))

    async def queue(self, conversation: Conversation, *, urgent: bool = False,
                    tags: tuple[str, ...] = ()) -> None:
        await self.store.transition(conversation.id, ConversationAction.QUEUE, actor="router",
                                    priority="1" if urgent else "0",
                                    tags=json.dumps(sorted({*conversation.tags, *tags})))
        # The "you are number N" message just sent counts as the first update.
        await self._update_due(conversation.id, (await self.policies.get()).update_interval_s)
        await self.router.enqueue(conversation.id, self._skill(conversation), urgent=urgent)
        position = await self.router.position(conversation.id) or 1
        minutes = await self.waits.minutes_for(position)
        await self.send(conversation, say("queued", conversation.lang).format(
            position=position, minutes=minutes), author="auto")
        await self.publish_live("queued", conversation.id, None)
        await self.assign()

    async def assign(self) -> None:
        skill_wait_s = (await self.policies.get()).skill_wait_s
        for conversation_id, operator in await self.router.assign(skill_wait_s=skill_wait_s):
            try:
                await self.store.transition(conversation_id, ConversationAction.ASSIGN,
                                            actor="router", operator=operator)
            except (InvalidTransition, NotFound):  # closed by the citizen meanwhile
                await self.router.release(conversation_id, operator)
                continue
            await self.publish_live("assigned", conversation_id, operator)

    async def send(self, conversation: Conversation, text: str, *, author: str,
                   article_id: str | None = None) -> Message:
        """Store an outbound message, then hand it to its channel."""
        text = text.strip()
        if not text:
            raise InvalidInput("the reply is empty")
        if len(text) > MAX_REPLY_CHARS:
            raise InvalidInput(f"the reply is too long: at most {MAX_REPLY_CHARS} characters")
        message = await self.store.add_outbound(conversation.id, text, author, article_id)
        sender = self.senders.get(conversation.channel)
        if sender is None:
            log.warning("no sender for channel", extra={"channel": conversation.channel.value})
        else:
            await sender(conversation, message)
        return message

    async def reply(self, conversation_id: str, text: str, operator: str,
                    article_id: str | None = None) -> Message:
        conversation = await self.store.get(conversation_id)
        message = await self.send(conversation, text, author=operator, article_id=article_id)
        first = {} if conversation.first_human_reply_at else {
            "first_human_reply_at": utcnow().isoformat()}
        if first:
            await self.levels.first_reply(conversation)
        await self.store.transition(conversation_id, ConversationAction.REPLY, actor=operator,
                                    **first)
        await self.router.accept(conversation_id)
        return message

    async def learn_from_reply(self, conversation_id: str, article_id: str,
                               operator: Principal) -> None:
        """The learning loop: the citizen's words become a proposed phrasing of the article
        the operator answered with (pending the cell's validation)."""
        last = await self.store.last_citizen_message(conversation_id)
        try:
            await record_operator_answer(self.ctx, last.text if last else "", article_id, operator)
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

    async def publish_live(self, kind: str, conversation_id: str, operator: str | None) -> None:
        payload: dict[str, Any] = {"type": kind, "conversation": conversation_id,
                                   "operator": operator}
        await self.ctx.redis.publish(self.k.live, json.dumps(payload))
