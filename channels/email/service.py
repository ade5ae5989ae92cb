"""`crisis smtp`'s work: the listener wired to the conversation store and the sender limit.

A citizen's mail goes to ConversationStore.receive (deduplicated on its Message-ID, so a
relay's retry after a lost 250 is stored once), a bounce of our reply to
delivery_by_provider. What happens next (auto-answer, queueing) is the event consumers'
work, as for every channel.
"""

from __future__ import annotations

import asyncio
import logging

from channels.addresses import citizen_id
from channels.email.listener import MailHandler, start_listener
from channels.inbound_limits import WINDOW_S
from channels.keys import ChannelKeys
from channels.store import ConversationStore
from crisis.context import Context
from crisis.ports import DeliveryReport
from crisis.rate_limits import WindowLimit
from crisis.types import InboundMessage

log = logging.getLogger(__name__)


def mail_handler(ctx: Context) -> MailHandler:
    """The listener's handler over the store of `ctx` (its Redis, keys and secret)."""
    keys = ChannelKeys(ctx.keys)
    store = ConversationStore(ctx.redis, keys, ctx.bus, ctx.secret)
    limit = WindowLimit(ctx.redis, ctx.settings.mail_messages_per_address_per_minute, WINDOW_S)

    async def receive(message: InboundMessage) -> None:
        await store.receive(message)  # None for a relay's retry: already stored

    async def report(delivery: DeliveryReport) -> None:
        await store.delivery_by_provider(delivery.provider_id, delivery.status)

    async def admit(message: InboundMessage) -> bool:
        citizen = citizen_id(ctx.secret, message.address)
        return (await limit.hit(keys.limit("email", citizen))).allowed

    return MailHandler(ctx.settings.mail_accept, receive, report, admit)


async def serve_mail(ctx: Context, stop: asyncio.Event) -> MailHandler:
    """Listen on CRISIS_SMTP_LISTEN until `stop` is set; returns the handler (its counts)."""
    settings = ctx.settings
    handler = mail_handler(ctx)
    server = await start_listener(handler, settings.smtp_listen.host, settings.smtp_listen.port,
                                  max_bytes=settings.mail_max_bytes)
    log.info("smtp listening", extra={"listen": str(settings.smtp_listen),
                                      "accept": sorted(settings.mail_accept)})
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        log.info("smtp stopped", extra={"counts": dict(handler.counts)})
    return handler
