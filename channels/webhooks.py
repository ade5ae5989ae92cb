"""The providers' webhooks, one pair of routes per adapter that has them (inbound, receipts).

The hot path: the adapter verifies and parses (channels/adapters.py), the sender's per-minute
limit is checked, the message is stored (deduplicated on the provider's id) and announced,
and the provider gets the adapter's acknowledgement. Deciding what to answer happens after,
on the event stream, so a burst of thousands of messages a minute is acknowledged fast and
never lost. A malformed request is refused with 400 and a forged one with 403 (crisis/web
maps the errors); the body was read within MAX_WEBHOOK_BYTES by crisis/web/body.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from channels.addresses import citizen_id
from channels.inbound import START_WORDS, STOP_WORDS, fold
from channels.inbound_limits import WINDOW_S
from channels.messages import say
from channels.store import ConversationStore
from crisis.ports import ChannelAdapter, InboundRequest, WebhookReply
from crisis.rate_limits import WindowLimit
from crisis.settings import Settings

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
                   settings: Settings) -> list[tuple[str, Handler]]:
    limit = WindowLimit(store.redis, settings.sms_messages_per_number_per_minute, WINDOW_S)
    routes: list[tuple[str, Handler]] = []
    for adapter in adapters:
        if adapter.inbound_path:
            routes.append((adapter.inbound_path, _receiver(adapter, store, settings, limit)))
        if adapter.status_path:
            routes.append((adapter.status_path, _receipts(adapter, store, settings)))
    return routes


def _receiver(adapter: ChannelAdapter, store: ConversationStore, settings: Settings,
              limit: WindowLimit) -> Handler:
    async def receive(request: web.Request) -> web.Response:
        messages = adapter.parse_inbound(await inbound_request(request, settings,
                                                               adapter.headers))
        notice = None
        for message in messages:
            citizen = citizen_id(store.secret, message.address)
            opting = fold(message.text) in STOP_WORDS | START_WORDS  # always heard
            verdict = await limit.hit(store.k.limit(adapter.kind.value, citizen))
            if not verdict.allowed and not opting:
                # Not stored: a flood from one sender must not fill the queue the others
                # need. Told once per minute (in the acknowledgement where the channel can
                # carry it: no send job, no provider call), unless they opted out.
                if verdict.first_refusal and not await store.opted_out(citizen):
                    notice = say("rate_limited_sms", message.lang)
                continue
            await store.receive(message)  # None for a provider's retry: already stored
        return respond(adapter.acknowledge(messages, notice))
    return receive


def _receipts(adapter: ChannelAdapter, store: ConversationStore, settings: Settings) -> Handler:
    async def receive_status(request: web.Request) -> web.Response:
        report = adapter.parse_delivery(await inbound_request(request, settings,
                                                              adapter.headers))
        if report is not None:
            await store.delivery_by_provider(report.provider_id, report.status)
        return respond(adapter.acknowledge([]))
    return receive_status
