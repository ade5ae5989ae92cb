"""How the desk's recorded messages leave: through their channel's adapter.

A queued channel (SMS, Telegram, e-mail: a provider call that may fail and must be paced) gets
one entry in the reply stream (channels/reply_stream.py), which the workers' reply consumers
send in batches (channels/reply_consumer.py, through channels/outbound.py); a live channel
(the chat's sockets, a call in progress) is handed the message at once in this process. A
live send that cannot happen (the call is over) may fall back to another channel: an
operator's written answer to a caller goes by SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from channels.reply_stream import ReplyStream
from channels.store import ConversationStore
from crisis.errors import ChannelError
from crisis.jobs import Jobs
from crisis.ports import ChannelAdapter
from crisis.types import ChannelKind, Conversation, DeliveryStatus, Message, OutboundMessage

log = logging.getLogger(__name__)

# A live channel's message that cannot be delivered live goes by this channel instead.
FALLBACKS: Mapping[ChannelKind, ChannelKind] = {ChannelKind.VOICE: ChannelKind.SMS}


class Outbox:
    def __init__(self, store: ConversationStore, jobs: Jobs,
                 adapters: dict[ChannelKind, ChannelAdapter]) -> None:
        self.store = store
        self.jobs = jobs
        self.adapters = adapters  # the table; a channel set up later adds itself (voice)
        self.replies = ReplyStream(store.redis, store.k)

    async def hand_over(self, conversation: Conversation, message: Message,
                        via: ChannelKind | None = None) -> None:
        """Give recorded `message` to its channel (or to `via`, e.g. SMS for a caller)."""
        kind = via or conversation.channel
        adapter = self.adapters.get(kind)
        if adapter is None:
            log.warning("no adapter for channel: message recorded as failed",
                        extra={"channel": kind.value})
            await self.store.set_delivery(conversation.id, message.id, DeliveryStatus.FAILED)
            return
        if adapter.queued:
            # A citizen is waiting: every worker consumes replies beside its jobs
            # (broadcasts included), many at a time.
            await self.replies.add(kind.value, conversation.id, message.id)
            return
        try:
            provider_id = await adapter.send(OutboundMessage(
                channel=kind, address="", text=message.text, conversation_id=conversation.id,
                message_id=message.id, lang=conversation.lang, author=message.author,
                citizen=conversation.citizen, article_id=message.article_id))
        except ChannelError as err:
            fallback = FALLBACKS.get(kind)
            if not err.retryable and fallback in self.adapters and message.author != "auto":
                await self.hand_over(conversation, message, via=fallback)
            else:  # the IVR's own words after the call, or no way to write: not sent
                await self.store.set_delivery(conversation.id, message.id,
                                              DeliveryStatus.FAILED)
            return
        if provider_id:
            await self.store.set_delivery(conversation.id, message.id, DeliveryStatus.SENT,
                                          provider_id)
