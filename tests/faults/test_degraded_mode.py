"""Degraded mode (channels/degraded.py): with Redis stopped, the site is still served, a
signed SMS whose answer the knowledge base is sure of is answered at once in the webhook's
TwiML, an unsure one or a STOP only spooled; with Redis back, the replay records the answer
given (once, counted, not sent again) and handles the rest as usual."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from channels import DEGRADED
from channels.api import DESK
from channels.greetings import update_greetings
from channels.messages import say
from channels.service_levels import AUTO_ANSWERED
from crisis.app import build_app
from crisis.context import open_context
from crisis.events import make_event
from crisis.settings import load_settings
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, DeliveryStatus, Direction, EventType, Message,
)
from knowledge_base import KNOWLEDGE_BASE, parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from testbed.redis_sentinel import RedisProcess
from testbed.telegram import TelegramStandIn, command_update, message_update, webhook_headers
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import signed, sms_form
from tests.channels.test_sms import run_worker_burst
from tests.conftest import ADMIN
from tests.faults.traffic import centre_env
from tests.support.handled import all_handled
from tests.support.polling import until

pytestmark = [pytest.mark.faults]

SURE = "leau du robinet est potable ?"
UNSURE = "quel est le score du match de rugby hier soir ?"
URGENT = "je suis coince sur le toit"
SITE_PAGE = "<!doctype html><title>Inondation</title><h1>Consignes</h1>"
SURE_CITIZEN, UNSURE_CITIZEN, STOP_CITIZEN = "+33611000001", "+33611000002", "+33611000003"
CHATTY_CITIZEN, URGENT_CITIZEN = "+33611000004", "+33611000005"
TELEGRAM_SECRET = "degraded-secret"


@dataclasses.dataclass
class DegradedCentre:
    """A centre (the whole app, in-process, real HTTP) on a Redis the test stops and starts,
    with the flood knowledge base and a live flood crisis held in its memory."""

    client: Any
    env: dict[str, str]
    server: RedisProcess
    twilio: TwilioStandIn
    telegram: TelegramStandIn


@pytest.fixture
async def centre(server: RedisProcess, aiohttp_client: Any, tmp_path: Path,
                 request: pytest.FixtureRequest) -> AsyncIterator[DegradedCentre]:
    """`request.param`: more settings (indirect parametrisation)."""
    twilio, telegram = TwilioStandIn(), TelegramStandIn()
    twilio_server = TestServer(twilio.app(), host="127.0.0.1")
    telegram_server = TestServer(telegram.app(), host="127.0.0.1")
    await twilio_server.start_server()
    await telegram_server.start_server()
    telegram.base = str(telegram_server.make_url("")).rstrip("/")
    env = centre_env(server.url, f"d{uuid.uuid4().hex[:8]}:", tmp_path / "var",
                     str(twilio_server.make_url("")).rstrip("/"),
                     TWILIO_KEYWORD_REPLIES="english", TELEGRAM_BOT_TOKEN=telegram.token,
                     TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET, TELEGRAM_API_BASE=telegram.base,
                     **getattr(request, "param", {}))
    build = tmp_path / "var" / "site.builds" / "b1"  # a published build, as the builder leaves it
    build.mkdir(parents=True)
    (build / "index.html").write_text(SITE_PAGE)
    (tmp_path / "var" / "site").symlink_to(build)
    settings = load_settings(env)
    ctx = open_context(settings, server.url)
    try:
        lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
        await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus),
                              parse_article_lines(lines), actor=ADMIN)
        await update_greetings(ctx, make_event(EventType.CRISIS_ACTIVATED, actor="test",
                                               subject="inondation-test", scenario="inondation",
                                               level=2))
    finally:
        await ctx.close()
    client = await aiohttp_client(build_app(settings, server.url))
    degraded = client.app[DEGRADED]
    kb = client.app[KNOWLEDGE_BASE]

    async def held() -> bool:  # the index with the articles and the keywords, in memory
        snapshot = kb.held_snapshot(ChannelKind.SMS)
        return degraded.holds() and snapshot is not None and \
            snapshot.answer_citizen(SURE).answer_id is not None
    await until(held, 10)
    yield DegradedCentre(client, env, server, twilio, telegram)
    await twilio_server.close()
    await telegram_server.close()


async def _post(client: Any, text: str, sid: str, sender: str) -> str:
    headers, form = signed("/hooks/twilio/sms", sms_form(text, sid, sender))
    response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
    assert response.status == 200, await response.text()
    return str(await response.text())


async def _conversation_of(client: Any, number: str) -> tuple[Conversation, list[Message]]:
    """The citizen's conversation (masked numbers end with their last two digits)."""
    store = client.app[DESK].store
    items, _, _ = await store.page(status=None, channel=None, limit=50, cursor=None)
    [conversation] = [c for c in items if c.address_masked.endswith(number[-2:])]
    return conversation, await store.messages(conversation.id)


async def test_with_redis_down_sure_answers_go_at_once_and_are_recorded_once_after(
        centre: DegradedCentre) -> None:
    client, server = centre.client, centre.server
    counted_before = AUTO_ANSWERED.labels("sms")._value.get()

    await asyncio.to_thread(server.stop)
    # The site is files: served as before.
    page = await client.get("/")
    assert page.status == 200 and "Consignes" in await page.text()

    sure = await _post(client, SURE, "SMdeg1", SURE_CITIZEN)
    assert "<Message>" in sure and "répondez 0" in sure, sure
    unsure = await _post(client, UNSURE, "SMdeg2", UNSURE_CITIZEN)
    assert "<Message>" not in unsure and "<Response></Response>" in unsure
    # A STOP keeps its meaning: no article, confirmed once recorded (after the replay).
    stop = await _post(client, "ARRÊT", "SMdeg3", STOP_CITIZEN)
    assert "<Response></Response>" in stop
    # Urgent words: told to call 112 at once, never an article.
    urgent = await _post(client, URGENT, "SMdeg4", URGENT_CITIZEN)
    assert say("urgent", "fr").split(".")[0] in urgent and "répondez 0" not in urgent, urgent
    # Three instant answers a minute per number, then only spooled.
    chatty = [await _post(client, SURE, f"SMdeg{n}", CHATTY_CITIZEN) for n in range(10, 14)]
    assert ["<Message>" in body for body in chatty] == [True, True, True, False]
    ready = await client.get("/readyz")
    assert ready.status == 503

    await asyncio.to_thread(server.start)  # same port, same data: the spool replays

    await until(lambda: _all_handled(client, 5), 25)
    # The reads below go to the store directly, without the web's outage handling: idle
    # pooled connections opened before the restart are dropped first (one of them, not
    # touched by the polling above, failed the first read in CI).
    await client.app[DESK].store.redis.connection_pool.disconnect(inuse_connections=False)

    answered, messages = await _conversation_of(client, SURE_CITIZEN)
    assert answered.status is ConversationStatus.AUTO_ANSWERED
    outbound = [m for m in messages if m.direction is Direction.OUTBOUND]
    assert [(m.status, m.author) for m in outbound] == [(DeliveryStatus.SENT, "auto")]
    assert outbound[0].article_id and outbound[0].text in sure.replace("&apos;", "'")

    queued, messages = await _conversation_of(client, UNSURE_CITIZEN)
    assert queued.status in (ConversationStatus.QUEUED, ConversationStatus.ASSIGNED)
    stopped, _ = await _conversation_of(client, STOP_CITIZEN)
    assert stopped.status is ConversationStatus.CLOSED
    urgent_conversation, messages = await _conversation_of(client, URGENT_CITIZEN)
    assert urgent_conversation.priority == 1
    assert [m.status for m in messages if m.text == say("urgent", "fr")] == [DeliveryStatus.SENT]
    _, messages = await _conversation_of(client, CHATTY_CITIZEN)
    assert len([m for m in messages if m.direction is Direction.OUTBOUND]) == 4
    # Counted: the sure citizen's answer and the chatty citizen's four.
    assert AUTO_ANSWERED.labels("sms")._value.get() - counted_before == 5

    await run_worker_burst(centre.env)
    sent_to: dict[str, list[str]] = {}
    for message in centre.twilio.messages:
        sent_to.setdefault(message["To"], []).append(message["Body"])
    assert SURE_CITIZEN not in sent_to, sent_to  # answered in the TwiML: not sent again
    assert len(sent_to[CHATTY_CITIZEN]) == 1  # only the fourth, not answered at once
    assert sent_to[STOP_CITIZEN] == [say("opt_out", "fr")]
    assert say("urgent", "fr") not in sent_to[URGENT_CITIZEN]  # the queue's notice only
    assert UNSURE_CITIZEN in sent_to  # handled as usual: the queue's notice


async def _all_handled(client: Any, conversations: int) -> bool:
    """Every spooled message stored and handled by the desk."""
    try:
        return await all_handled(client.app[DESK].store, conversations)
    except Exception:  # noqa: BLE001 - Redis still starting
        return False


async def test_telegram_answers_at_once_in_the_webhooks_answer_too(
        centre: DegradedCentre) -> None:
    """Telegram runs the Bot API method given as the webhook's answer: the same instant
    answer, recorded once after, sent no second time; /stop waits for the replay."""
    client, telegram = centre.client, centre.telegram
    await asyncio.to_thread(centre.server.stop)
    response = await client.post("/hooks/telegram", json=message_update(4242, SURE),
                                 headers=webhook_headers(TELEGRAM_SECRET))
    call = await response.json()
    assert response.status == 200 and call["method"] == "sendMessage"
    assert call["chat_id"] == 4242 and "eau" in call["text"].lower()
    response = await client.post("/hooks/telegram", json=command_update(4343, "stop"),
                                 headers=webhook_headers(TELEGRAM_SECRET))
    assert response.status == 200 and (await response.json()).get("method") != "sendMessage"

    await asyncio.to_thread(centre.server.start)
    await until(lambda: _all_handled(client, 2), 25)
    store = client.app[DESK].store
    items, _, _ = await store.page(status="auto-answered", channel=None, limit=5, cursor=None)
    [answered] = items
    outbound = [m for m in await store.messages(answered.id) if m.direction is Direction.OUTBOUND]
    assert [(m.text, m.status) for m in outbound] == [(call["text"], DeliveryStatus.SENT)]
    before = len(telegram.messages)
    await run_worker_burst(centre.env)
    sent = [m for m in telegram.messages[before:] if m["chat"]["id"] == 4242]
    assert sent == []  # given in the webhook's answer: not sent again
    assert any(m["chat"]["id"] == 4343 for m in telegram.messages[before:])  # /stop confirmed


@pytest.mark.parametrize("centre", [{"CRISIS_REDIS_MIN_REPLICAS": "1"}], indirect=True)
async def test_waiting_for_replicas_does_not_hold_back_a_spooled_answer(
        centre: DegradedCentre) -> None:
    """With CRISIS_REDIS_MIN_REPLICAS, a webhook kept in the spool has nothing in Redis to
    wait for: its answer leaves with a 200 (a 503 would make the provider drop it while the
    replay records it as sent)."""
    await asyncio.to_thread(centre.server.stop)
    sure = await _post(centre.client, SURE, "SMrep1", SURE_CITIZEN)
    assert "<Message>" in sure
