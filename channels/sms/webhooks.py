"""Twilio's webhooks: inbound SMS and delivery receipts.

The hot path: verify the signature, store the message (deduplicated on MessageSid), answer
empty TwiML. Deciding what to answer happens after, on the event stream, so a burst of
thousands of SMS a minute is acknowledged fast and never lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.sms.adapter import TwilioSms
from channels.store import ConversationStore
from crisis.ports import InboundRequest
from crisis.settings import Settings

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_EMPTY_TWIML_BODY = EMPTY_TWIML.encode()  # encoded once: every webhook answers it
MAX_FORM_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Twilio-Signature"


async def inbound_request(request: web.Request, settings: Settings) -> InboundRequest:
    """The provider's call as a neutral value; the URL is the public one Twilio signed."""
    if request.content_length and request.content_length > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_FORM_BYTES,
                                            actual_size=request.content_length)
    form = await request.post()
    # Only the header the adapter reads: copying all of them costs on every webhook.
    return InboundRequest(url=settings.base_url + request.path_qs,
                          headers={SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER, "")},
                          form={k: str(v) for k, v in form.items()})


def twiml() -> web.Response:
    return web.Response(body=_EMPTY_TWIML_BODY, content_type="text/xml", charset="utf-8")


def sms_routes(adapter: TwilioSms, store: ConversationStore, settings: Settings
               ) -> list[tuple[str, Callable[[web.Request], Awaitable[web.Response]]]]:
    async def receive_sms(request: web.Request) -> web.Response:
        for message in adapter.parse_inbound(await inbound_request(request, settings)):
            await store.receive(message)  # None for a Twilio retry: already stored
        return twiml()

    async def receive_status(request: web.Request) -> web.Response:
        report = adapter.parse_delivery(await inbound_request(request, settings))
        if report is not None:
            await store.delivery_by_provider(report.provider_id, report.status)
        return twiml()

    return [("/hooks/twilio/sms", receive_sms), ("/hooks/twilio/sms/status", receive_status)]
