"""The Twilio SMS adapter: verifies and parses webhooks, sends through the REST API.

Sends use the twilio package's asyncio API over our aiohttp client (rest_http.py): one session
per process, kept by the reply worker's context (channels/outbound.py), so a reply costs one HTTP
request on a warm connection, not a thread, a TLS handshake and a new client.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as xml_escape

import aiohttp

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.addresses import normalise_address
from channels.sms.rest_http import TwilioHttp
from channels.sms.signature import TwilioSignature
from crisis.errors import ChannelError, ConfigError, Forbidden, InvalidInput
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.settings import Settings
from crisis.types import ChannelKind, DeliveryStatus, InboundMessage, OutboundMessage, utcnow
from knowledge_base import citizen_language

MAX_INBOUND_CHARS = 1600  # Twilio concatenates at most 10 segments
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_EMPTY_TWIML_BODY = EMPTY_TWIML.encode()  # encoded once: every webhook answers it
TWIML = "text/xml; charset=utf-8"
_STATUS = {"queued": DeliveryStatus.QUEUED, "accepted": DeliveryStatus.QUEUED,
           "sending": DeliveryStatus.QUEUED, "sent": DeliveryStatus.SENT,
           "delivered": DeliveryStatus.DELIVERED, "undelivered": DeliveryStatus.FAILED,
           "failed": DeliveryStatus.FAILED}


def twiml_reply(reply: str | None = None) -> WebhookReply:
    """Empty TwiML, or TwiML that answers the sender with one SMS (`reply`)."""
    if reply is None:
        return WebhookReply(_EMPTY_TWIML_BODY, TWIML)
    return WebhookReply(('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
                         f"{xml_escape(reply)}</Message></Response>").encode(), TWIML)


class TwilioSms:
    kind = ChannelKind.SMS
    inbound_path = "/hooks/twilio/sms"
    status_path = "/hooks/twilio/sms/status"
    queued = True
    replies_in_acknowledgement = True  # TwiML's <Message>: Twilio sends it, no REST call
    headers = (SIGNATURE_HEADER,)

    def __init__(self, settings: Settings) -> None:
        if settings.twilio_auth_token is None or not settings.twilio_account_sid:
            raise ConfigError("the SMS channel needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        self._account = settings.twilio_account_sid
        self._token = settings.twilio_auth_token.reveal()
        self._api_base = settings.twilio_api_base  # a stand-in in tests and staging
        self.signature = TwilioSignature(self._token)
        self.sender = settings.twilio_from or ""
        self.per_second = settings.twilio_messages_per_second
        self.account_per_second = settings.twilio_account_messages_per_second
        self.status_callback = settings.base_url + self.status_path
        self._client: Client | None = None  # built in the loop that sends (aiohttp session)

    def _verify(self, request: InboundRequest) -> None:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not self.signature.valid(request.url, request.form, signature):
            raise Forbidden("invalid Twilio signature")

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        self._verify(request)
        sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
        if not sid or not sender:
            raise InvalidInput("MessageSid and From are required")
        try:
            media = max(0, int(request.form.get("NumMedia", "0") or 0))
        except ValueError:
            raise InvalidInput("NumMedia must be a whole number") from None
        text = request.form.get("Body", "")[:MAX_INBOUND_CHARS]
        return [InboundMessage(
            channel=ChannelKind.SMS, address=normalise_address(ChannelKind.SMS, sender),
            text=text, provider_id=sid[:64], received_at=utcnow(),
            # An SMS carries no language: a tourist's English one is answered from the English
            # articles and by an operator who speaks it (the conversation keeps its first
            # message's language).
            lang=citizen_language(text),
            attachments=tuple(request.form.get(f"MediaUrl{i}", "") for i in range(min(media, 10))))]

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        self._verify(request)
        sid = request.form.get("MessageSid", "")
        status = _STATUS.get(request.form.get("MessageStatus", ""))
        if not sid or status is None:
            return None
        return DeliveryReport(sid, status, request.form.get("ErrorCode", ""))

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        return twiml_reply(notice)

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        # Twilio's limit is per sender (a number, or a Messaging Service's pool of numbers),
        # and, when set, per account across its senders.
        sender = Pace(f"sms:{self.sender}", self.per_second)
        if self.account_per_second:
            return (sender, Pace("sms-account", self.account_per_second))
        return (sender,)

    def _rest(self) -> Client:
        if self._client is None:
            self._client = Client(self._account, self._token, http_client=TwilioHttp())
            self._client.api.base_url = self._api_base
        return self._client

    async def send(self, message: OutboundMessage) -> str:
        """One REST call; ChannelError says whether retrying can help."""
        if not message.address.startswith("+"):  # a hidden caller id: nobody to write to
            raise ChannelError("no phone number to write to", retryable=False)
        if not self.sender:
            raise ChannelError("TWILIO_FROM is not set: no number to send from", retryable=False)
        try:
            sent = await self._rest().messages.create_async(
                to=message.address, body=message.text, status_callback=self.status_callback,
                **({"messaging_service_sid": self.sender} if self.sender.startswith("MG")
                   else {"from_": self.sender}))
        except TwilioRestException as err:
            # 429 and 5xx are Twilio being busy; 4xx (bad number, blocked) will not get better.
            retryable = err.status == 429 or err.status >= 500
            raise ChannelError(f"Twilio refused the SMS: {err.msg}", retryable=retryable) from err
        except (OSError, TimeoutError, aiohttp.ClientError) as err:
            raise ChannelError(f"Twilio unreachable: {err}", retryable=True) from err
        return str(sent.sid)

    async def aclose(self) -> None:
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, TwilioHttp):
                await http.close()
            self._client = None
