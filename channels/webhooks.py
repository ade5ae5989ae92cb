"""The providers' webhooks, one pair of routes per adapter that has them (inbound, receipts).

The hot path: the adapter verifies and parses (channels/adapters.py); one script counts the
sender's per-minute limit, stores the message (deduplicated on the provider's id) and
announces it; the provider gets the adapter's acknowledgement. Deciding what to answer
happens after, on the event stream, so a burst of thousands of messages a minute is acknowledged fast and
never lost. With Redis unreachable the message goes to the local spool instead, and, when the
channel can answer in its acknowledgement, a sure answer is given at once from memory
(degraded mode, channels/degraded.py). A malformed request is refused with 400 and a forged
one with 403 (crisis/web maps the errors); the body was read within MAX_WEBHOOK_BYTES by
crisis/web/body.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import msgspec
from aiohttp import web

from channels.addresses import citizen_id
from channels.degraded import DegradedAnswers
from channels.inbound import START_WORDS, STOP_WORDS, fold
from channels.inbound_limits import WINDOW_S
from channels.messages import say
from channels.store import ConversationStore, SenderLimit
from channels.spool import Spool
from crisis.errors import TryLater
from crisis.ports import ChannelAdapter, DeliveryReport, InboundRequest, WebhookReply
from crisis.rate_limits import Verdict
from crisis.settings import Settings
from crisis.types import InboundMessage
from crisis.web.redis_outage import RETRY_AFTER_S, is_outage, mark_spooled

MAX_WEBHOOK_BYTES = 64 * 1024  # providers' webhooks are small: the body cap of their routes
FORM = "application/x-www-form-urlencoded"
Handler = Callable[[web.Request], Awaitable[web.Response]]


async def inbound_request(request: web.Request, settings: Settings,
                          headers: Iterable[str]) -> InboundRequest:
    """The provider's call as a neutral value; the URL is the public one the provider signed.
    Only the headers the adapter reads are copied (copying all costs on every webhook)."""
    form: dict[str, str] = {}
    body = b""
    if request.content_type == FORM:
        form = {k: str(v) for k, v in (await request.post()).items()}
    else:
        body = await request.read()
    return InboundRequest(url=settings.base_url + request.path_qs,
                          headers={h: request.headers.get(h, "") for h in headers},
                          form=form, body=body)


def respond(reply: WebhookReply) -> web.Response:
    content_type, _, charset = reply.content_type.partition("; charset=")
    return web.Response(body=reply.body, content_type=content_type, charset=charset or None)


def webhook_routes(adapters: Iterable[ChannelAdapter], store: ConversationStore,
                   settings: Settings, spool: Spool,
                   degraded: DegradedAnswers | None = None) -> list[tuple[str, Handler]]:
    routes: list[tuple[str, Handler]] = []
    for adapter in adapters:
        if adapter.inbound_path:
            routes.append((adapter.inbound_path,
                           _receiver(adapter, store, settings, spool,
                                     degraded if adapter.replies_in_acknowledgement else None)))
        if adapter.status_path:
            routes.append((adapter.status_path, _receipts(adapter, store, settings, spool)))
    return routes


def _spooled(spool: Spool, item: InboundMessage | DeliveryReport, err: BaseException) -> None:
    """Redis is down: keep `item` in the local spool (fsync) so the provider's call can be
    acknowledged; 503 when the disk refuses too (the provider then retries)."""
    if not is_outage(err):
        raise err
    try:
        spool.append(item)
    except OSError as disk:
        raise TryLater("the service is briefly unavailable; try again shortly",
                       retry_after_s=RETRY_AFTER_S) from disk


def _receiver(adapter: ChannelAdapter, store: ConversationStore, settings: Settings,
              spool: Spool, degraded: DegradedAnswers | None) -> Handler:
    """`degraded`: given only for a channel that answers in its acknowledgement."""
    # The sender's limit is counted by the store's receive script: one round trip a message.
    limit = SenderLimit(adapter.kind.value, settings.sms_messages_per_number_per_minute,
                        WINDOW_S)
    heard = SenderLimit(limit.scope, limit.limit, limit.window_s, exempt=True)

    async def receive(request: web.Request) -> web.Response:
        messages = adapter.parse_inbound(await inbound_request(request, settings,
                                                               adapter.headers))
        notice, stored = None, False
        for message in messages:
            try:
                notice = await _store(message) or notice
                stored = True
            except Exception as err:  # noqa: BLE001 - is_outage decides; others re-raised
                # Redis down: answered at once when sure, and the spooled line says so (the
                # replay records the answer and does not send it again). The answer goes out
                # only once the line is on disk: a refused spool answers 503 and nothing else.
                answered = degraded.answer(message) if degraded and is_outage(err) else None
                if answered is not None:
                    message = msgspec.structs.replace(message, answered=answered)
                _spooled(spool, message, err)
                notice = answered.text if answered is not None else notice
        response = respond(adapter.acknowledge(messages, notice))
        if messages and not stored:
            mark_spooled(response)  # nothing in Redis for CRISIS_REDIS_MIN_REPLICAS to wait for
        return response

    async def _store(message: InboundMessage) -> str | None:
        """Store one message unless its sender is over their limit; the notice to send
        them in the acknowledgement, if any."""
        opting = fold(message.text) in STOP_WORDS | START_WORDS  # always heard
        received = await store.receive_within(message, heard if opting else limit)
        if isinstance(received, Verdict):
            # Not stored: a flood from one sender must not fill the queue the others
            # need. Told once per minute (in the acknowledgement where the channel can
            # carry it: no send job, no provider call), unless they opted out.
            citizen = citizen_id(store.secret, message.address)
            if received.first_refusal and not await store.opted_out(citizen):
                return say("rate_limited_sms", message.lang)
        return None  # stored, or a provider's retry (already stored)
    return receive


def _receipts(adapter: ChannelAdapter, store: ConversationStore, settings: Settings,
              spool: Spool) -> Handler:
    async def receive_status(request: web.Request) -> web.Response:
        report = adapter.parse_delivery(await inbound_request(request, settings,
                                                              adapter.headers))
        response = respond(adapter.acknowledge([]))
        if report is not None:
            try:
                await store.delivery_by_provider(report.provider_id, report.status)
            except Exception as err:  # noqa: BLE001 - is_outage decides; others re-raised
                _spooled(spool, report, err)
                mark_spooled(response)
        return response
    return receive_status
