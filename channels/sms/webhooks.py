"""Twilio's webhooks: inbound SMS and delivery receipts.

The hot path: verify the signature, store the message (deduplicated on MessageSid), answer
empty TwiML. Deciding what to answer happens after, on the event stream, so a burst of
thousands of SMS a minute is acknowledged fast and never lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from xml.sax.saxutils import escape as xml_escape

from aiohttp import web

from channels.addresses import citizen_id
from channels.inbound import START_WORDS, STOP_WORDS, fold
from channels.inbound_limits import WINDOW_S
from channels.messages import say
from channels.sms.adapter import TwilioSms
from channels.store import ConversationStore
from crisis.ports import InboundRequest
from crisis.rate_limits import WindowLimit
from crisis.settings import Settings

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_EMPTY_TWIML_BODY = EMPTY_TWIML.encode()  # encoded once: every webhook answers it
MAX_FORM_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Twilio-Signature"


async def inbound_request(request: web.Request, settings: Settings) -> InboundRequest:
    """The provider's call as a neutral value; the URL is the public one Twilio signed.
    The body was read by crisis.web.body within MAX_FORM_BYTES (on the stream, chunked or
    not) and checked to be UTF-8."""
    form = await request.post()
    # Only the header the adapter reads: copying all of them costs on every webhook.
    return InboundRequest(url=settings.base_url + request.path_qs,
                          headers={SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER, "")},
                          form={k: str(v) for k, v in form.items()})


def twiml(reply: str | None = None) -> web.Response:
    """Empty TwiML, or TwiML that answers the sender with one SMS (`reply`)."""
    if reply is None:
        return web.Response(body=_EMPTY_TWIML_BODY, content_type="text/xml", charset="utf-8")
    body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
            f"{xml_escape(reply)}</Message></Response>")
    return web.Response(text=body, content_type="text/xml", charset="utf-8")


def sms_routes(adapter: TwilioSms, store: ConversationStore, settings: Settings
               ) -> list[tuple[str, Callable[[web.Request], Awaitable[web.Response]]]]:
    limit = WindowLimit(store.redis, settings.sms_messages_per_number_per_minute, WINDOW_S)

    async def receive_sms(request: web.Request) -> web.Response:
        notice = None
        for message in adapter.parse_inbound(await inbound_request(request, settings)):
            citizen = citizen_id(store.secret, message.address)
            opting = fold(message.text) in STOP_WORDS | START_WORDS  # always heard
            verdict = await limit.hit(store.k.limit("sms", citizen))
            if not verdict.allowed and not opting:
                # Not stored: a flood from one number must not fill the queue the others
                # need. Told once per minute (in this answer: no send job, no REST call),
                # unless the number opted out.
                if verdict.first_refusal and not await store.opted_out(citizen):
                    notice = say("rate_limited_sms", message.lang)
                continue
            await store.receive(message)  # None for a Twilio retry: already stored
        return twiml(notice)

    async def receive_status(request: web.Request) -> web.Response:
        report = adapter.parse_delivery(await inbound_request(request, settings))
        if report is not None:
            await store.delivery_by_provider(report.provider_id, report.status)
        return twiml()

    return [("/hooks/twilio/sms", receive_sms), ("/hooks/twilio/sms/status", receive_status)]
