"""The telephone as a live channel adapter: the desk's messages for a caller are spoken at
the next TwiML turn of their call in progress (channels/voice/ivr.py reads them back).

Inbound, a caller's spoken question is read from the IVR's signed webhook by the Twilio
Voice adapter (channels/voice/adapter.py), whose parsing this adapter hands on; the IVR's
routes are its own (channels/voice/webhooks.py), not the generic ones. Outbound there is no
provider call: Twilio asks us for TwiML. Once the call is over, sending fails without retry,
and the Outbox (channels/outbox.py) sends an operator's written answer by SMS instead; the
IVR's own words for a call that is over are not sent.
"""

from __future__ import annotations

from channels.sms.adapter import SIGNATURE_HEADER
from channels.voice.adapter import TwilioVoice
from channels.voice.calls import CallStage, Calls
from crisis.errors import ChannelError
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.types import ChannelKind, InboundMessage, OutboundMessage


class LiveCall:
    kind = ChannelKind.VOICE
    inbound_path = None  # the IVR's own routes (channels/voice/webhooks.py)
    status_path = None
    queued = False
    replies_in_acknowledgement = False
    headers = (SIGNATURE_HEADER,)

    def __init__(self, calls: Calls, voice: TwilioVoice) -> None:
        self.calls = calls
        self.voice = voice

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """A caller's spoken question (signature checked: Forbidden otherwise)."""
        return self.voice.parse_inbound(request)

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        return WebhookReply()

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        return self.voice.parse_delivery(request)  # verified; what is spoken is heard

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        return ()

    async def send(self, message: OutboundMessage) -> str:
        sid = await self.calls.live_call(message.citizen)
        if sid and (await self.calls.get(sid)).get("stage") not in (None, CallStage.ENDED):
            await self.calls.say_later(sid, {"id": message.message_id, "text": message.text,
                                             "article": message.article_id or ""})
            return f"call:{sid}"
        raise ChannelError("the call is over", retryable=False)

    async def aclose(self) -> None:
        return None
