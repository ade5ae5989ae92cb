"""What happens to a citizen's message: the inbound pipeline of the contact desk.

Opt-out keywords, then urgent keywords (tell them to call 112, queue first), then a request
for a person (queue), then the knowledge base's auto-answer (answer at once when confident;
in surge, self-service first), else the queue with the expected wait. One message at a time
per conversation, in the order received (channels/inbound_order.py). What the desk then does
(queue, send, assign) is the Desk's.
"""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING

import msgspec

from channels.answer_forms import auto_answer, offered_answer
from channels.greetings import live_greetings
from channels.inbound_order import InboundTurns
from channels.messages import say
from channels.skills import topic_for_tags
from crisis.lifecycle import ConversationAction
from crisis.types import LANGS, ChannelKind, Conversation, ConversationStatus, Message
from knowledge_base import AutoAnswer, Intent

if TYPE_CHECKING:
    from channels.desk import Answerer, Desk

STOP_WORDS = frozenset({"stop", "arret", "arreter", "unsubscribe", "desabonner"})
START_WORDS = frozenset({"start", "unstop", "reprendre"})
HUMAN_WORDS = frozenset({"0", "agent", "humain", "conseiller", "operateur"})
# In surge, a below-threshold answer this likely to be right is offered as "may help".
SURGE_SUGGESTION_CONFIDENCE = 0.5
# A queued question takes the topic of the auto-answer's best guess from this confidence on:
# a wrong topic only costs the skill wait, so the bar is lower than for answering.
TOPIC_GUESS_CONFIDENCE = 0.2


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


# What the web chat's "Talk to an adviser" button sends, in each language.
ADVISER_REQUESTS = frozenset(fold(say("adviser_request", lang)) for lang in LANGS)


class InboundPipeline:
    def __init__(self, desk: Desk, answerer: Answerer) -> None:
        self.desk = desk
        self.answerer = answerer
        self.ctx, self.store, self.k, self.levels = desk.ctx, desk.store, desk.k, desk.levels
        self.turns = InboundTurns(desk.ctx.redis, desk.k)

    async def process(self, conversation_id: str, *, new: bool = False,
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
            await self.desk.publish_live("message", conversation_id, conversation.operator)
            return
        if conversation.status is ConversationStatus.QUEUED:
            await self.desk.publish_live("message", conversation_id, None)
            return
        await self._first_answer(conversation, last, text)

    async def _first_answer(self, conversation: Conversation, last: Message, text: str) -> None:
        lang = conversation.lang
        if await self._is_urgent(text):
            await self.desk.send(conversation, say("urgent", lang), author="auto")
            await self.desk.queue(conversation, urgent=True)
            return
        if text in HUMAN_WORDS or text in ADVISER_REQUESTS \
                or (text == "1" and "surge" in conversation.tags):
            await self.desk.queue(conversation)
            return
        if text == "2" and {"surge", "overflow"} & set(conversation.tags):
            await self.desk.send(conversation, say("callback", lang), author="auto")
            await self.desk.queue(conversation, tags=("callback",))
            return
        answer = await self.answerer(last.text, lang, conversation.channel)
        if answer.intent is Intent.QUESTION and not conversation.topic:
            # Kept even when answered: for when the citizen then asks for a person.
            conversation = await self._guess_topic(conversation, answer)
        if answer.answer_id is None and answer.intent is Intent.QUESTION \
                and await self._surge(conversation, answer):
            return
        if answer.intent is Intent.HUMAN:
            await self.desk.queue(conversation)
        elif answer.answer_id is not None:
            article = await self.desk.article_of(answer.answer_id)
            await self.desk.send(conversation, auto_answer(article, conversation.channel, lang),
                                 author="auto", article_id=answer.answer_id)
            await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                        actor="knowledge-base")
            await self.levels.auto_answered(conversation.channel)
        elif answer.intent in (Intent.GREETING, Intent.THANKS, Intent.GOODBYE, Intent.EMPTY):
            await self.desk.send(conversation, say(f"intent_{answer.intent.value}", lang,
                                                   conversation.channel), author="auto")
            if conversation.status is ConversationStatus.NEW:
                await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                            actor="knowledge-base")
        else:
            await self.desk.queue(conversation)

    async def _guess_topic(self, conversation: Conversation, answer: AutoAnswer) -> Conversation:
        """The conversation with the topic its likeliest (or answering) article's tags suggest,
        stored unless an operator set one meanwhile (then that one is kept)."""
        if not answer.candidates or answer.confidence < TOPIC_GUESS_CONFIDENCE:
            return conversation
        article = await self.desk.kb.live_article(answer.candidates[0][0])
        topic = topic_for_tags(article.tags) if article is not None else ""
        if not topic:
            return conversation
        if not await self.ctx.redis.hsetnx(self.k.conversation(conversation.id), "topic",
                                           topic):
            return await self.store.get(conversation.id)
        return msgspec.structs.replace(conversation, topic=topic)

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
            await self.store.transition(conversation.id, ConversationAction.CLOSE,
                                        actor="citizen")

    async def _surge(self, conversation: Conversation, answer: AutoAnswer) -> bool:
        """In surge, offer self-service first; the citizen stays in the queue only on request."""
        policy = await self.desk.policies.get()
        if not policy.surge_wait_s:
            return False
        position = await self.desk.router.queue_length() + 1
        wait = await self.desk.waits.seconds_for(position)
        if wait < policy.surge_wait_s:
            return False
        lang = conversation.lang
        if answer.candidates and answer.confidence >= SURGE_SUGGESTION_CONFIDENCE:
            article = await self.desk.article_of(answer.candidates[0][0])
            await self.desk.send(conversation,
                                 offered_answer(article, conversation.channel, lang),
                                 author="auto", article_id=article.id)
        await self.desk.send(conversation, say("surge", lang, conversation.channel).format(
            minutes=max(1, round(wait / 60)), site=self.ctx.settings.base_url + "/"),
            author="auto")
        await self.store.transition(conversation.id, ConversationAction.AUTO_ANSWER,
                                    actor="router", tags=json.dumps(["surge"]))
        return True
