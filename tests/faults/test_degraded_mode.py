"""Degraded mode (channels/degraded.py): with Redis stopped, the site is still served, a
signed SMS whose answer the knowledge base is sure of is answered at once in the webhook's
TwiML, an unsure one or a STOP only spooled; with Redis back, the replay records the answer
given (once, counted, not sent again) and handles the rest as usual."""

from __future__ import annotations

import asyncio
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
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import signed, sms_form
from tests.channels.test_sms import run_worker_burst
from tests.conftest import ADMIN
from tests.faults.traffic import centre_env
from tests.support.polling import until

pytestmark = [pytest.mark.faults]

SURE = "leau du robinet est potable ?"
UNSURE = "quel est le score du match de rugby hier soir ?"
URGENT = "je suis coince sur le toit"
SITE_PAGE = "<!doctype html><title>Inondation</title><h1>Consignes</h1>"
SURE_CITIZEN, UNSURE_CITIZEN, STOP_CITIZEN = "+33611000001", "+33611000002", "+33611000003"
CHATTY_CITIZEN, URGENT_CITIZEN = "+33611000004", "+33611000005"


@pytest.fixture
async def standin() -> AsyncIterator[tuple[TwilioStandIn, str]]:
    twilio = TwilioStandIn()
    server = TestServer(twilio.app(), host="127.0.0.1")
    await server.start_server()
    yield twilio, str(server.make_url("")).rstrip("/")
    await server.close()


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
        server: RedisProcess, standin: tuple[TwilioStandIn, str], aiohttp_client: Any,
        tmp_path: Path) -> None:
    twilio, twilio_base = standin
    env = centre_env(server.url, f"d{uuid.uuid4().hex[:8]}:", tmp_path / "var", twilio_base,
                     TWILIO_KEYWORD_REPLIES="english")
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
            snapshot.answer_citizen(SURE).answer_id is not None and \
            "coince" in (degraded._urgent or ())
    await until(held, 10)
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

    await until(lambda: _all_handled(client), 25)

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

    await run_worker_burst(env)
    sent_to: dict[str, list[str]] = {}
    for message in twilio.messages:
        sent_to.setdefault(message["To"], []).append(message["Body"])
    assert SURE_CITIZEN not in sent_to, sent_to  # answered in the TwiML: not sent again
    assert len(sent_to[CHATTY_CITIZEN]) == 1  # only the fourth, not answered at once
    assert sent_to[STOP_CITIZEN] == [say("opt_out", "fr")]
    assert say("urgent", "fr") not in sent_to[URGENT_CITIZEN]  # the queue's notice only
    assert UNSURE_CITIZEN in sent_to  # handled as usual: the queue's notice


async def _all_handled(client: Any) -> bool:
    """Every spooled message stored and handled by the desk."""
    store = client.app[DESK].store
    try:
        items, total, _ = await store.page(status=None, channel=None, limit=50, cursor=None)
    except Exception:  # noqa: BLE001 - Redis still starting
        return False
    if total != 5:
        return False
    for conversation in items:
        for message in await store.messages(conversation.id):
            if message.author == "citizen" and not await store.handled(message.id):
                return False
    return True
