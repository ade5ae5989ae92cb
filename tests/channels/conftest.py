"""Fixtures of the contact centre: a Twilio stand-in, Twilio settings, a loaded knowledge base."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

from channels.desk import Desk
from channels.store import Received
from crisis.context import Context, Subscription
from crisis.types import ChannelKind, InboundMessage, utcnow
from crisis.settings import Settings, load_settings
from knowledge_base.article import parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from testbed.smtp_sink import SmtpSink
from testbed.telegram import TelegramStandIn
from testbed.twilio import TwilioStandIn
from tests.conftest import ADMIN, CELL
from tests.support.polling import until

AUTH_TOKEN = "stand-in-auth-token"
ACCOUNT = "AC" + "0" * 32
PUBLIC_URL = "https://crisis.example.gouv.fr"


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[TwilioStandIn, str]]:
    standin = TwilioStandIn()
    server = TestServer(standin.app(), host="127.0.0.1")
    await server.start_server()
    yield standin, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    """The Telegram Bot API stand-in on loopback (its URL in `.base`)."""
    api = TelegramStandIn()
    server = TestServer(api.app(), host="127.0.0.1")
    await server.start_server()
    api.base = str(server.make_url("")).rstrip("/")
    yield api
    await server.close()


@pytest.fixture
async def relay() -> AsyncIterator[SmtpSink]:
    """An SMTP relay on loopback that keeps what it is given (CRISIS_SMTP_RELAY)."""
    sink = SmtpSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
def env(env: dict[str, str], twilio: tuple[TwilioStandIn, str]) -> dict[str, str]:
    return {**env, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": "+33700000000", "TWILIO_API_BASE": twilio[1],
            "CRISIS_PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


@pytest.fixture
async def kb(ctx: Context) -> None:
    """The flood knowledge base the package ships (knowledge_base/tooling/data), published."""
    lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
    await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus),
                          parse_article_lines(lines), actor=ADMIN)


def signed(path: str, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and form as Twilio would send them to CRISIS_PUBLIC_URL + path."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return {"X-Twilio-Signature": signature}, form


def sms_form(body: str, sid: str, sender: str = "+33612345678") -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": sender,
            "To": "+33700000000", "Body": body, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01"}


async def stall_a_group(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> str:
    """A consumer group of the conversations' stream that the centre waits for and that reads
    nothing from now on, as when the events processes are far behind: created at the
    stream's end and subscribed after the app's consumers started (so none runs for it). Its
    name."""
    async def never(event: object) -> None:
        raise AssertionError("the stalled group was handed an event")
    await ctx.redis.xgroup_create(ctx.keys.conversation_events, "stalled", id="$", mkstream=True)
    monkeypatch.setitem(ctx.subscriptions, "stalled", Subscription(never, None))
    return "stalled"


__all__ = ["CELL", "signed", "sms_form", "stall_a_group", "until"]


async def stored_sms(desk: Desk, text: str, sender: str) -> tuple[Received, int]:
    """An SMS stored as the webhook stores it (no consumer runs): what the store answered and
    the message's rank in its conversation (channels/inbound_order.py)."""
    received = await desk.store.receive(InboundMessage(
        channel=ChannelKind.SMS, address=sender, text=text,
        provider_id=f"SM{secrets.token_hex(8)}", received_at=utcnow()))
    assert received is not None
    seq = int(await desk.ctx.redis.hget(desk.k.conversation(received.conversation_id),
                                        "inbound_seq") or 0)
    return received, seq
