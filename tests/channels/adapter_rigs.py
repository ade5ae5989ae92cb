"""One rig per channel adapter for the contract suite (test_adapter_contract.py).

A rig builds its adapter against the channel's stand-in (real HTTP on loopback, reached by
the real client library) and knows how the provider would call us: a genuine request, a
forged one, a delivery receipt, and how to make the provider's next send fail. A new channel
adds its rig here and joins every check on its first day.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from twilio.request_validator import RequestValidator

from channels.chat.adapter import WebChat
from channels.chat.tokens import issue_token
from channels.keys import ChannelKeys
from channels.sms.adapter import TwilioSms
from crisis.context import Context
from crisis.ports import ChannelAdapter, InboundRequest
from crisis.settings import Settings
from crisis.types import DeliveryStatus
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import AUTH_TOKEN, PUBLIC_URL


class Rig(Protocol):
    adapter: ChannelAdapter
    can_fail: bool  # the channel has a provider whose sends can fail
    has_receipts: bool

    def address(self, n: int) -> str:
        """A citizen's address on this channel (the n-th test citizen)."""
        ...

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest: ...
    def forged(self, request: InboundRequest) -> InboundRequest: ...
    def fail_next(self, *, retryable: bool) -> None: ...
    async def sent(self) -> list[str]:
        """The texts the provider (or the citizen's socket) received, in order."""
        ...

    def receipt(self, provider_id: str, status: DeliveryStatus) -> InboundRequest: ...


@dataclasses.dataclass
class SmsRig:
    adapter: TwilioSms
    standin: TwilioStandIn
    can_fail: bool = True
    has_receipts: bool = True

    def address(self, n: int) -> str:
        return f"+3361234{n:04d}"

    def _signed(self, path: str, form: dict[str, str]) -> InboundRequest:
        url = PUBLIC_URL + path
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return InboundRequest(url=url, headers={"X-Twilio-Signature": signature}, form=form)

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest:
        return self._signed("/hooks/twilio/sms", {
            "MessageSid": provider_id, "From": address, "To": "+33700000000", "Body": text,
            "NumMedia": "0", "AccountSid": "AC" + "0" * 32})

    def forged(self, request: InboundRequest) -> InboundRequest:
        return dataclasses.replace(request, form={**request.form, "Body": "changed"})

    def fail_next(self, *, retryable: bool) -> None:
        self.standin.fail_next.append(503 if retryable else 400)

    async def sent(self) -> list[str]:
        return [m["Body"] for m in self.standin.messages]

    def receipt(self, provider_id: str, status: DeliveryStatus) -> InboundRequest:
        twilio_status = {DeliveryStatus.DELIVERED: "delivered",
                         DeliveryStatus.FAILED: "undelivered"}[status]
        return self._signed("/hooks/twilio/sms/status", {
            "MessageSid": provider_id, "MessageStatus": twilio_status,
            "AccountSid": "AC" + "0" * 32})


@dataclasses.dataclass
class ChatRig:
    """The chat: no provider; a citizen's socket listens on their Redis channel."""

    adapter: WebChat
    ctx: Context
    tokens: dict[int, str] = dataclasses.field(default_factory=dict)
    received: list[str] = dataclasses.field(default_factory=list)
    can_fail: bool = False
    has_receipts: bool = False
    _listener: asyncio.Task[None] | None = None

    def address(self, n: int) -> str:
        return self.tokens.setdefault(n, issue_token(self.ctx.secret))

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest:
        return InboundRequest(url="", headers={}, form={}, body=json.dumps(
            {"token": address, "id": provider_id, "text": text, "lang": "fr"}).encode())

    def forged(self, request: InboundRequest) -> InboundRequest:
        frame = json.loads(request.body)
        frame["token"] = frame["token"][:-1] + ("0" if frame["token"][-1] != "0" else "1")
        return dataclasses.replace(request, body=json.dumps(frame).encode())

    def fail_next(self, *, retryable: bool) -> None:
        raise AssertionError("the chat has no provider to fail")

    async def listen(self) -> None:
        """What the web process holding the citizen's socket receives."""
        pubsub = self.ctx.redis.pubsub()
        await pubsub.psubscribe(ChannelKeys(self.ctx.keys).chat_pattern)
        ready = asyncio.Event()

        async def run() -> None:
            ready.set()
            while True:
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item and item["type"] == "pmessage":
                    self.received.append(json.loads(item["data"])["text"])
        self._listener = asyncio.create_task(run())
        await ready.wait()

    async def sent(self) -> list[str]:
        await asyncio.sleep(0.2)  # published messages reach the subscriber asynchronously
        return list(self.received)

    def receipt(self, provider_id: str, status: DeliveryStatus) -> InboundRequest:
        raise AssertionError("the chat has no delivery receipts")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()


async def make_rig(name: str, ctx: Context, settings: Settings,
                   twilio: tuple[TwilioStandIn, str]) -> AsyncIterator[Any]:
    if name == "sms":
        rig: Any = SmsRig(TwilioSms(settings), twilio[0])
        yield rig
        await rig.adapter.aclose()
    elif name == "chat":
        rig = ChatRig(WebChat(ctx.redis, ChannelKeys(ctx.keys), ctx.secret), ctx)
        await rig.listen()
        yield rig
        await rig.stop()
    else:
        raise ValueError(name)


RIGS = ("sms", "chat")
