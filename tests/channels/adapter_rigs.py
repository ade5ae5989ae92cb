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
from pathlib import Path
from typing import Any, Protocol

from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

from channels.chat.adapter import WebChat
from channels.addresses import citizen_id
from channels.chat.tokens import issue_token
from channels.email.adapter import EmailAdapter
from channels.keys import ChannelKeys
from channels.sms.adapter import TwilioSms
from channels.telegram.adapter import TelegramBot
from channels.voice.adapter import TwilioVoice
from channels.voice.calls import Calls
from channels.voice.live import LiveCall
from crisis.context import Context
from crisis.ports import ChannelAdapter, InboundRequest
from crisis.errors import Forbidden, InvalidInput
from crisis.settings import Settings, load_settings
from crisis.types import DeliveryStatus
from testbed.smtp_sink import SmtpSink
from testbed.telegram import TelegramStandIn, message_update, webhook_headers
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import AUTH_TOKEN, PUBLIC_URL

TELEGRAM_SECRET = "contract-suite-secret"
CORPUS = Path(__file__).parent / "mail_corpus"


class Rig(Protocol):
    adapter: ChannelAdapter
    can_fail: bool  # the channel has a provider whose sends can fail
    has_receipts: bool
    refusal: type[Exception]  # what a forged request raises

    def address(self, n: int) -> str:
        """A citizen's address on this channel (the n-th test citizen)."""
        ...

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest: ...
    def forged(self, request: InboundRequest) -> InboundRequest: ...
    def fail_next(self, *, retryable: bool) -> None: ...
    async def sent(self) -> list[str]:
        """The texts the provider (or the citizen's socket) received, in order."""
        ...

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        """The provider's receipt for a sent message, and the status it reports."""
        ...


@dataclasses.dataclass
class SmsRig:
    adapter: TwilioSms
    standin: TwilioStandIn
    can_fail: bool = True
    has_receipts: bool = True
    refusal: type[Exception] = Forbidden

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

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        return self._signed("/hooks/twilio/sms/status", {
            "MessageSid": provider_id, "MessageStatus": "delivered",
            "AccountSid": "AC" + "0" * 32}), DeliveryStatus.DELIVERED


@dataclasses.dataclass
class ChatRig:
    """The chat: no provider; a citizen's socket listens on their Redis channel."""

    adapter: WebChat
    ctx: Context
    tokens: dict[int, str] = dataclasses.field(default_factory=dict)
    received: list[str] = dataclasses.field(default_factory=list)
    can_fail: bool = False
    has_receipts: bool = False
    refusal: type[Exception] = Forbidden
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

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        raise AssertionError("the chat has no delivery receipts")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()


@dataclasses.dataclass
class VoiceRig:
    """The telephone: a caller's spoken question comes on the IVR's signed webhook; what the
    desk says is spoken at the call's next turn (a live channel: no provider to fail)."""

    adapter: LiveCall
    ctx: Context
    can_fail: bool = False
    has_receipts: bool = False
    refusal: type[Exception] = Forbidden
    calls: list[str] = dataclasses.field(default_factory=list)

    def address(self, n: int) -> str:
        return f"+3361300{n:04d}"

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest:
        """The speech webhook of a call in progress (the IVR recorded the call first)."""
        sid = f"CA{address[1:]}"
        if sid not in self.calls:
            self.calls.append(sid)
            citizen = citizen_id(self.ctx.secret, address)
            asyncio.get_event_loop().create_task(self.adapter.calls.start(
                sid, caller=address, citizen=citizen, lang="fr"))
        url = f"{PUBLIC_URL}/hooks/twilio/voice/question?lang=fr&turn={provider_id}"
        form = {"CallSid": sid, "From": address, "To": "+33700000000",
                "CallStatus": "in-progress", "SpeechResult": text, "Direction": "inbound"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return InboundRequest(url=url, headers={"X-Twilio-Signature": signature}, form=form)

    def forged(self, request: InboundRequest) -> InboundRequest:
        return dataclasses.replace(request, form={**request.form, "SpeechResult": "autre"})

    def fail_next(self, *, retryable: bool) -> None:
        raise AssertionError("a call has no provider to fail: Twilio asks us for TwiML")

    async def sent(self) -> list[str]:
        await asyncio.sleep(0.05)  # the call records started in the background
        spoken: list[str] = []
        for sid in self.calls:
            spoken += [str(entry["text"]) for entry in await self.adapter.calls.take_said(sid)]
        return spoken

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        raise AssertionError("what is spoken is heard: no receipt")


@dataclasses.dataclass
class TelegramRig:
    adapter: TelegramBot
    standin: TelegramStandIn
    can_fail: bool = True
    has_receipts: bool = False
    refusal: type[Exception] = Forbidden

    def address(self, n: int) -> str:
        return str(700_000 + n)

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest:
        update_id = int.from_bytes(provider_id.encode()[-6:], "big")  # one id per provider_id
        update = message_update(int(address), text, update_id=update_id)
        return InboundRequest(url=PUBLIC_URL + "/hooks/telegram",
                              headers=webhook_headers(TELEGRAM_SECRET), form={},
                              body=json.dumps(update).encode())

    def forged(self, request: InboundRequest) -> InboundRequest:
        return dataclasses.replace(request, headers=webhook_headers("not-our-secret"))

    def fail_next(self, *, retryable: bool) -> None:
        self.standin.fail_next.append(500 if retryable else 403)

    async def sent(self) -> list[str]:
        return [str(m["text"]) for m in self.standin.messages]

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        raise AssertionError("Telegram has no delivery receipts")


@dataclasses.dataclass
class EmailRig:
    """E-mail has no per-request signature: the organisation's relay in front of
    `crisis smtp` is the trust boundary, and the listener refuses unknown recipients (550).
    What the adapter itself refuses is mail it cannot attribute: no sender."""

    adapter: EmailAdapter
    sink: SmtpSink
    can_fail: bool = True
    has_receipts: bool = True  # bounces
    refusal: type[Exception] = InvalidInput

    def address(self, n: int) -> str:
        return f"citoyen{n}@example.fr"

    def inbound(self, text: str, provider_id: str, address: str) -> InboundRequest:
        mail = (f"From: {address}\r\nTo: contact@crise.example.gouv.fr\r\n"
                f"Subject: Question\r\nMessage-ID: <{provider_id}@example.fr>\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n")
        return InboundRequest(url="", headers={}, form={}, body=mail.encode())

    def forged(self, request: InboundRequest) -> InboundRequest:
        head, _, body = request.body.partition(b"\r\n")  # the From line removed
        return dataclasses.replace(request, body=body)

    def fail_next(self, *, retryable: bool) -> None:
        self.sink.answer_next.append(451 if retryable else 550)

    async def sent(self) -> list[str]:
        return [str(d.message.get_body(("plain",)).get_content()).strip()  # type: ignore[union-attr]
                for d in self.sink.delivered]

    def receipt(self, provider_id: str) -> tuple[InboundRequest, DeliveryStatus]:
        returned = next(d.raw for d in self.sink.delivered
                        if provider_id.encode() in d.raw).split(b"\r\n\r\n", 1)[0]
        dsn = (CORPUS / "dsn_of_our_reply.eml").read_bytes()
        head, _, _ = dsn.partition(b"Content-Type: text/rfc822-headers\r\n\r\n")
        bounce = head + b"Content-Type: text/rfc822-headers\r\n\r\n" + returned + \
            b"\r\n--dsn--\r\n"
        return InboundRequest(url="", headers={}, form={}, body=bounce), DeliveryStatus.FAILED


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
    elif name == "voice":
        keys = ChannelKeys(ctx.keys)
        rig = VoiceRig(LiveCall(Calls(ctx.redis, keys), TwilioVoice(settings)), ctx)
        yield rig
    elif name == "telegram":
        api = TelegramStandIn()
        server = TestServer(api.app(), host="127.0.0.1")
        await server.start_server()
        rig = TelegramRig(TelegramBot(load_settings({
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": str(server.make_url("")).rstrip("/")})), api)
        yield rig
        await rig.adapter.aclose()
        await server.close()
    elif name == "email":
        sink = SmtpSink()
        await sink.start()
        rig = EmailRig(EmailAdapter(load_settings({
            "CRISIS_SMTP_RELAY": f"127.0.0.1:{sink.port}",
            "CRISIS_MAIL_FROM": "Centre d'information <contact@crise.example.gouv.fr>"})), sink)
        yield rig
        await rig.adapter.aclose()
        await sink.stop()
    else:
        raise ValueError(name)


RIGS = ("sms", "chat", "voice", "telegram", "email")
LIVE = ("chat", "voice")  # no provider whose sends can fail
