"""The contact desk: queueing, assignment, replies, closing, requeueing, queue care.

Inbound messages go through its InboundPipeline (channels/inbound.py). Outbound: stored
first, then handed to the channel (an RQ job for SMS, the live socket for chat).
Channel-neutral: the adapters table decides how a message leaves.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from channels.access import ConversationAccess
from channels.inbound import InboundPipeline
from channels.keys import ChannelKeys
from channels.messages import say
from channels.policy import PolicyCache
from channels.router import Router, skill_of
from channels.service_levels import ServiceLevels, WaitEstimates, capacity_of
from channels.store import ConversationStore
from crisis.context import Context
from crisis.errors import InvalidInput, InvalidTransition, NotFound
from crisis.lifecycle import ConversationAction
from crisis.types import ChannelKind, Conversation, ConversationStatus, Message, Principal, utcnow
from knowledge_base import Article, AutoAnswer, KnowledgeBase, question_of

log = logging.getLogger(__name__)

Answerer = Callable[[str, str, ChannelKind], Awaitable[AutoAnswer]]
ArticleOf = Callable[[str], Awaitable[Article]]  # the live article of an id, or NotFound
Sender = Callable[[Conversation, Message], Awaitable[None]]

MAX_REPLY_CHARS = 1600
REQUEUABLE = frozenset({ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN})


class Desk:
    def __init__(self, ctx: Context, store: ConversationStore, router: Router, kb: KnowledgeBase,
                 senders: dict[ChannelKind, Sender]) -> None:
        self.ctx = ctx
        self.kb = kb
        self.article_of: ArticleOf = kb.answer_article
        self.store = store
        self.router = router
        self.senders = senders
        self.k: ChannelKeys = store.k
        self.levels = ServiceLevels(ctx.redis, store.k)
        self.policies = PolicyCache(ctx.redis, store.k)
        self.waits = WaitEstimates(self.levels, self._free_capacity)
        self.inbound = InboundPipeline(self, kb.answer_citizen)

    async def process_inbound(self, conversation_id: str, *, new: bool = False,
                              message_id: str | None = None, seq: int = 0) -> None:
        """Decide what to do with citizen message `message_id` (default: the latest), in its
        turn among the conversation's inbound messages (see channels/inbound.py)."""
        await self.inbound.process(conversation_id, new=new, message_id=message_id, seq=seq)

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
                await self.ctx.redis.hset(self.k.conversation(conversation_id), "tags",
                                          json.dumps([*conversation.tags, "overflow"]))
            elif await self._update_due(conversation_id, policy.update_interval_s):
                position = await self.router.position(conversation_id) or 1
                minutes = await self.waits.minutes_for(position)
                await self.send(conversation, say("queued", conversation.lang).format(
                    position=position, minutes=minutes), author="auto")

    async def _update_due(self, conversation_id: str, interval: int) -> bool:
        """True at most once per `interval` per conversation, across all processes."""
        key = self.k.wait_update(conversation_id)
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

    @staticmethod
    def _checked(text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidInput("the reply is empty")
        if len(text) > MAX_REPLY_CHARS:
            raise InvalidInput(f"the reply is too long: at most {MAX_REPLY_CHARS} characters")
        return text

    async def _hand_over(self, conversation: Conversation, message: Message) -> None:
        """Give a recorded outbound message to its channel (an RQ job, the chat socket)."""
        sender = self.senders.get(conversation.channel)
        if sender is None:
            log.warning("no sender for channel", extra={"channel": conversation.channel.value})
        else:
            await sender(conversation, message)

    async def send(self, conversation: Conversation, text: str, *, author: str,
                   article_id: str | None = None) -> Message:
        """Store an outbound message, then hand it to its channel."""
        message = await self.store.add_outbound(conversation.id, self._checked(text), author,
                                                article_id)
        await self._hand_over(conversation, message)
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
