"""The one send path of a recorded message: through its channel's adapter.

`Outbound.send_many` sends a batch of the reply stream (channels/reply_consumer.py), and the
job `send_reply(kind, conversation_id, message_id)` one reply whose send is retried (the
`replies` queue, before broadcasts); both go through `Outbound.send`. It reads what the send
needs in two round trips (ConversationStore.reply_facts, for a whole batch at once), skips a
message already sent (a job retried after a crash or a Redis failover must not write to the
citizen twice), respects STOP, waits for the provider's pace
(channels/pacing.py), marks the message "sending", sends, and records the delivery. A retry
that finds the mark of an attempt whose worker died during the provider call does not send
again: the provider may have the message, none of ours can be asked, so it is recorded as
failed for the operator to see and resend if need be (never twice). A failure that retrying
cannot mend (a bad number, a blocked bot) is recorded on the message for the operator to
see; any other raises, and RQ tries again (1 s, 5 s, 30 s).

The store, the adapters and their provider clients are built once per worker process and
kept in its WorkerContext (crisis/worker_context.py): a reply costs the provider call and
three Redis round trips, not new connections.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping

from channels.adapters import provider_adapters
from channels.keys import ChannelKeys
from channels.pacing import Pacer
from channels.store import ConversationStore, ReplyFacts
from crisis.errors import ChannelError, NotFound
from crisis.events import EventBus
from crisis.ports import ChannelAdapter
from crisis.secret_key import resolve_secret_key
from crisis.types import ChannelKind, DeliveryStatus, OutboundMessage
from crisis.worker_context import WorkerContext, with_worker_context

log = logging.getLogger(__name__)

SEND_REPLY_JOB = "channels.outbound.send_reply"
SENDING_TTL_S = 24 * 3600
# A provider's own "retry after" up to this is waited for in the job; longer, RQ's backoff.
MAX_INLINE_WAIT_S = 5.0
REPLY_LANE = "replies"  # the replies' own schedule of evenly spaced sends (channels/pacing.py)
ALREADY_SENT = frozenset({DeliveryStatus.SENT, DeliveryStatus.DELIVERED})


class Purged:
    """What reply_facts found of a reply whose conversation was purged: nothing."""


PURGED = Purged()


@dataclasses.dataclass
class Outbound:
    """A worker process's sending kit."""

    store: ConversationStore
    adapters: Mapping[ChannelKind, ChannelAdapter]
    pacer: Pacer

    async def send_many(self, replies: list[tuple[ChannelKind, str, str]]
                        ) -> list[str | BaseException]:
        """Send (kind, conversation, message) `replies` concurrently, their facts read in
        one go; each one's outcome as `send` returns it, or the exception it raised."""
        read = await self.store.reply_facts_many([(c, m) for _, c, m in replies])
        return await asyncio.gather(
            *(self.send(kind, c, m, facts if facts is not None else PURGED)
              for (kind, c, m), facts in zip(replies, read)), return_exceptions=True)

    async def send(self, kind: ChannelKind, conversation_id: str, message_id: str,
                   facts: ReplyFacts | Purged | None = None) -> str:
        """Send one reply (`facts`: what reply_facts read for it already, if it was)."""
        if facts is None:
            try:
                facts = await self.store.reply_facts(conversation_id, message_id)
            except NotFound:
                facts = PURGED
        if isinstance(facts, Purged):
            return "purged"  # the conversation was purged (retention) meanwhile
        if facts.message.status in ALREADY_SENT:
            return "already sent"
        if not facts.may_send:
            await self.store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
            return "opted-out"
        adapter = self.adapters.get(kind)
        if adapter is None:
            log.warning("reply for a channel that is not configured", extra={"channel": kind})
            await self.store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
            return "no channel"
        message = OutboundMessage(
            channel=kind, address=facts.address, text=facts.message.text,
            conversation_id=conversation_id, message_id=message_id,
            lang=facts.conversation.lang, article_id=facts.message.article_id,
            thread=facts.thread)
        # Evenly spaced, not a second's sends at once: a worker killed mid-send leaves at
        # most the one or two replies then in their provider call in doubt (recorded failed,
        # never sent twice), not a whole second's worth; and the provider gets no bursts.
        await self.pacer.wait(adapter.pacing(message), spread=True, lane=REPLY_LANE)
        mark = self.store.k.sending(message_id)
        if not await self.store.redis.set(mark, "1", nx=True, ex=SENDING_TTL_S):
            log.warning("a previous attempt died during the provider call: not sent again",
                        extra={"conversation": conversation_id, "message_id": message_id})
            await self.store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
            return "unknown: an earlier attempt died during the provider call"
        try:
            provider_id = await adapter.send(message)
        except ChannelError as err:
            await self.store.redis.delete(mark)  # the provider answered: not sent
            if not err.retryable:
                await self.store.set_delivery(conversation_id, message_id, DeliveryStatus.FAILED)
                return f"failed: {err.message}"
            if 0 < err.retry_after_s <= MAX_INLINE_WAIT_S:
                await asyncio.sleep(err.retry_after_s)
            raise
        await self.store.set_delivery(conversation_id, message_id, DeliveryStatus.SENT,
                                      provider_id, index=facts.index, sending_mark=mark)
        return provider_id

    async def aclose(self) -> None:
        for adapter in self.adapters.values():
            await adapter.aclose()


def outbound_kit(ctx: WorkerContext) -> Outbound:
    """The worker process's Outbound, built on first use."""
    def build(ctx: WorkerContext) -> Outbound:
        keys = ChannelKeys(ctx.keys)
        store = ConversationStore(ctx.redis, keys, EventBus(ctx.redis, ctx.keys),
                                  resolve_secret_key(ctx.settings))
        return Outbound(store, provider_adapters(ctx.settings), Pacer(ctx.redis, keys))
    return ctx.resource("channels.outbound", build)


@with_worker_context
async def send_reply(ctx: WorkerContext, kind: str, conversation_id: str, message_id: str) -> str:
    """Send outbound message `message_id` of `conversation_id` by channel `kind`."""
    return await outbound_kit(ctx).send(ChannelKind(kind), conversation_id, message_id)
