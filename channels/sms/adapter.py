"""The Twilio SMS adapter: verifies and parses webhooks, sends through the REST API.

The twilio client is synchronous (requests): `send` runs it in a thread so the event loop
never blocks; in production sends go through the RQ job in channels.sms.jobs anyway.
"""

from __future__ import annotations

import asyncio

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.addresses import normalise_address
from channels.sms.signature import TwilioSignature
from crisis.errors import ChannelError, ConfigError, Forbidden, InvalidInput
from crisis.ports import DeliveryReport, InboundRequest
from crisis.settings import Settings
from crisis.types import ChannelKind, DeliveryStatus, InboundMessage, OutboundMessage, utcnow

MAX_INBOUND_CHARS = 1600  # Twilio concatenates at most 10 segments
_STATUS = {"queued": DeliveryStatus.QUEUED, "accepted": DeliveryStatus.QUEUED,
           "sending": DeliveryStatus.QUEUED, "sent": DeliveryStatus.SENT,
           "delivered": DeliveryStatus.DELIVERED, "undelivered": DeliveryStatus.FAILED,
           "failed": DeliveryStatus.FAILED}


class TwilioSms:
    kind = ChannelKind.SMS

    def __init__(self, settings: Settings) -> None:
        if settings.twilio_auth_token is None or not settings.twilio_account_sid:
            raise ConfigError("the SMS channel needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        token = settings.twilio_auth_token.reveal()
        self.signature = TwilioSignature(token)
        self.client = Client(settings.twilio_account_sid, token)
        self.client.api.base_url = settings.twilio_api_base  # a stand-in in tests and staging
        self.sender = settings.twilio_from or ""

    def _verify(self, request: InboundRequest) -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
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
        return [InboundMessage(
            channel=ChannelKind.SMS, address=normalise_address(ChannelKind.SMS, sender),
            text=request.form.get("Body", "")[:MAX_INBOUND_CHARS], provider_id=sid[:64],
            received_at=utcnow(),
            attachments=tuple(request.form.get(f"MediaUrl{i}", "") for i in range(min(media, 10))))]

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        self._verify(request)
        sid = request.form.get("MessageSid", "")
        status = _STATUS.get(request.form.get("MessageStatus", ""))
        if not sid or status is None:
            return None
        return DeliveryReport(sid, status, request.form.get("ErrorCode", ""))

    def send_blocking(self, to: str, text: str, status_callback: str | None) -> str:
        """One REST call; ChannelError says whether retrying can help."""
        try:
            message = self.client.messages.create(
                to=to, body=text, status_callback=status_callback,
                **({"messaging_service_sid": self.sender} if self.sender.startswith("MG")
                   else {"from_": self.sender}))
        except TwilioRestException as err:
            # 429 and 5xx are Twilio being busy; 4xx (bad number, blocked) will not get better.
            retryable = err.status == 429 or err.status >= 500
            raise ChannelError(f"Twilio refused the SMS: {err.msg}", retryable=retryable) from err
        except OSError as err:
            raise ChannelError(f"Twilio unreachable: {err}", retryable=True) from err
        return str(message.sid)

    async def send(self, message: OutboundMessage) -> str:
        return await asyncio.to_thread(self.send_blocking, message.address, message.text, None)
