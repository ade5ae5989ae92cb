"""The operator console over HTTP: roles, CSRF on forms, escaping of citizen text, the work
of an operator (open, suggestions, reply, tags, transfer, close) and the supervisor's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels.api import DESK
from channels.console.messages import CANNED, MESSAGES, TOPICS, WRAP_UPS, t
from crisis.context import Context
from crisis.types import ConversationStatus, Direction, Role, utcnow
from knowledge_base.alternates import pending_alternates
from knowledge_base.store import ArticleStore
from tests.channels.conftest import AUTH_TOKEN, sms_form, until
from tests.conftest import ADMIN, login

# Over plain http the session cookie is not Secure, so a test client (and Chromium on
# 127.0.0.1) sends it back; the webhooks are signed for this URL.
CONSOLE_PUBLIC_URL = "http://crisis.example.gouv.fr"
SCRIPT = "<script>alert('x')</script><b>gras</b> & <img src=x onerror=alert(1)>"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_PUBLIC_URL": CONSOLE_PUBLIC_URL}


def signed(path: str, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(CONSOLE_PUBLIC_URL + path, form)
    return {"X-Twilio-Signature": signature}, form


def csrf_of(headers: dict[str, str]) -> str:
    return headers["X-CSRF-Token"]


async def become(client: Any, ctx: Context, name: str, role: Role = Role.OPERATOR,
                 status: str = "available", langs: tuple[str, ...] = ("fr",)) -> str:
    """Log in (the client's cookie jar now holds this session) and set a status."""
    csrf = csrf_of(await login(client, ctx, name, role))
    await set_status(client, csrf, status, langs)
    return csrf


async def set_status(client: Any, csrf: str, status: str,
                     langs: tuple[str, ...] = ("fr",)) -> None:
    response = await client.post("/console/status", allow_redirects=False,
                                 data={"csrf_token": csrf, "status": status,
                                       "langs": list(langs)})
    assert response.status == 303, await response.text()


async def sms(client: Any, body: str, sid: str, sender: str = "+33612345678") -> None:
    """Sent as Twilio would: without the console's session cookie."""
    headers, form = signed("/hooks/twilio/sms", sms_form(body, sid, sender))
    async with aiohttp.ClientSession() as twilio:
        response = await twilio.post(client.make_url("/hooks/twilio/sms"), data=form,
                                     headers=headers)
        assert response.status == 200


async def assigned_to(client: Any, name: str, count: int = 1) -> list[str]:
    router = client.app[DESK].router

    async def check() -> list[str]:
        conversations = list((await router.operator(name)).conversations)
        return conversations if len(conversations) >= count else []
    return list(await until(check))


def test_every_console_text_has_french_and_english() -> None:
    for table in (MESSAGES, CANNED, WRAP_UPS, TOPICS):
        for key, entry in table.items():
            assert set(entry) == {"fr", "en"}, key


async def test_the_console_asks_to_log_in_and_keeps_roles(client: Any, ctx: Context) -> None:
    response = await client.get("/console/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/console/"
    await login(client, ctx, "op1", Role.OPERATOR)
    assert (await client.get("/console/supervisor", allow_redirects=False)).status == 403
    page = await client.get("/console/")
    assert page.status == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Mes conversations" in await page.text()
    english = await (await client.get("/console/?lang=en")).text()
    assert 'lang="en"' in english and "My conversations" in english


async def test_forms_need_the_csrf_token(client: Any, ctx: Context) -> None:
    csrf = csrf_of(await login(client, ctx, "op1", Role.OPERATOR))
    refused = await client.post("/console/status", data={"status": "available"},
                                allow_redirects=False)
    assert refused.status == 403
    assert (await client.app[DESK].router.operator("op1")).status.value == "offline"
    wrong = await client.post("/console/status", allow_redirects=False,
                              data={"status": "available", "csrf_token": csrf[:-1] + "x"})
    assert wrong.status == 403
    accepted = await client.post("/console/status", allow_redirects=False,
                                 data={"status": "available", "csrf_token": csrf})
    assert accepted.status == 303
    assert (await client.app[DESK].router.operator("op1")).status.value == "available"


async def test_html_sent_by_sms_and_chat_shows_as_text(client: Any, ctx: Context,
                                                        kb: None) -> None:
    await sms(client, SCRIPT, "SMX1")
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello", "token": None, "since": None, "lang": "fr"})
    assert (await socket.receive_json(timeout=5))["type"] == "welcome"
    await socket.send_json({"type": "message", "id": "w1", "text": SCRIPT})
    while (await socket.receive_json(timeout=5))["type"] != "ack":
        pass
    await socket.close()
    store = client.app[DESK].store

    async def both() -> Any:
        items, _, _ = await store.page(status=None, channel=None, limit=10, cursor=None)
        return items if len(items) == 2 else None
    conversations = await until(both)
    assert {c.channel.value for c in conversations} == {"sms", "chat"}
    await login(client, ctx, "chef", Role.SUPERVISOR)
    for conversation in conversations:
        for path in (f"/console/c/{conversation.id}", f"/console/c/{conversation.id}/history"):
            html = await (await client.get(path)).text()
            assert "<script>alert" not in html and "<b>gras" not in html and "<img src=x" not in html
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;gras&lt;/b&gt; &amp; " \
                   "&lt;img src=x onerror=alert(1)&gt;" in html
    supervision = await (await client.get("/console/supervisor")).text()
    assert "<script>alert" not in supervision


async def test_an_operator_opens_an_offer_sees_suggestions_replies_and_the_kb_learns(
        kb: None, client: Any, ctx: Context) -> None:
    csrf = await become(client, ctx, "op1")
    await sms(client, "je voudrais parler a un humain", "SMA1")
    [conversation_id] = await assigned_to(client, "op1")
    desk = client.app[DESK]
    assert await ctx.redis.zscore(desk.k.offers, conversation_id) is not None
    index = await (await client.get("/console/")).text()
    assert f"/console/c/{conversation_id}" in index and "proposée" in index
    await sms(client, "ou trouver de l eau potable pour boire", "SMA2")

    async def asked_twice() -> bool:
        inbound = [m for m in await desk.store.messages(conversation_id) if m.author == "citizen"]
        return len(inbound) == 2
    await until(asked_twice)
    page = await (await client.get(f"/console/c/{conversation_id}")).text()
    assert await ctx.redis.zscore(desk.k.offers, conversation_id) is None  # opening accepts
    inserts = re.findall(r'data-insert="(\d)" data-article="([^"]+)"', page)
    assert [n for n, _ in inserts] == ["1", "2", "3"][:len(inserts)] and inserts
    article = dict(inserts)["1"]
    assert "eau" in article
    # Without script, the insert link fills the reply field on the server.
    filled = await (await client.get(f"/console/c/{conversation_id}?insert={article}")).text()
    assert f'id="article-id" value="{article}"' in filled
    response = await client.post(f"/console/c/{conversation_id}/reply", allow_redirects=False,
                                 data={"csrf_token": csrf, "text": "Voici l'information.",
                                       "article_id": article})
    assert response.status == 303
    sent = [m for m in await desk.store.messages(conversation_id)
            if m.direction is Direction.OUTBOUND and m.author == "op1"]
    assert sent[-1].article_id == article
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.WAITING_CITIZEN
    proposals = await pending_alternates(ArticleStore(ctx.redis, ctx.keys, ctx.bus), article)
    assert any("eau potable pour boire" in p.text for p in proposals)


async def test_the_kb_learns_the_question_of_the_citizens_turn_not_its_last_words(
        kb: None, client: Any, ctx: Context) -> None:
    csrf = await become(client, ctx, "op1")
    await sms(client, "je voudrais parler a un humain", "SMT1")
    [conversation_id] = await assigned_to(client, "op1")
    desk = client.app[DESK]
    await client.post(f"/console/c/{conversation_id}/reply", allow_redirects=False,
                      data={"csrf_token": csrf, "text": "Bonjour, je vous écoute."})
    await sms(client, "ma cave est pleine de flotte depuis cette nuit", "SMT2")
    await sms(client, "svp", "SMT3")

    async def turn_of_two() -> bool:
        return len(await desk.store.citizen_turn(conversation_id)) == 2
    await until(turn_of_two)
    response = await client.post(f"/console/c/{conversation_id}/reply", allow_redirects=False,
                                 data={"csrf_token": csrf, "text": "Voici les consignes.",
                                       "article_id": "pomper-cave"})
    assert response.status == 303
    proposals = await pending_alternates(ArticleStore(ctx.redis, ctx.keys, ctx.bus), "pomper-cave")
    # Not "svp" (the last message), nor the request for a person before the operator's answer.
    assert [p.text for p in proposals] == ["ma cave est pleine de flotte depuis cette nuit"]


async def test_tags_transfer_and_close(kb: None, client: Any, ctx: Context,
                                       aiohttp_client: Any) -> None:
    other = await aiohttp_client(client.server)  # a second browser: another cookie jar
    other_csrf = await become(other, ctx, "op2", status="pause")
    csrf = await become(client, ctx, "op1")
    await sms(client, "je voudrais parler a un humain", "SMT1")
    [conversation_id] = await assigned_to(client, "op1")
    desk = client.app[DESK]
    base = f"/console/c/{conversation_id}"
    bad_topic = await client.post(f"{base}/tags", allow_redirects=False,
                                  data={"csrf_token": csrf, "tags": "eau", "topic": "nope"})
    assert bad_topic.status == 400
    await client.post(f"{base}/tags", data={"csrf_token": csrf, "tags": "eau, cave ,",
                                            "topic": "eau"}, allow_redirects=False)
    assert (await desk.store.get(conversation_id)).tags == ("eau", "cave")
    # op2 is on a break: a transfer to them is refused; available, it goes through.
    refused = await client.post(f"{base}/transfer", allow_redirects=False,
                                data={"csrf_token": csrf, "target": "op2"})
    assert refused.status == 400
    await set_status(other, other_csrf, "available")
    moved = await client.post(f"{base}/transfer", allow_redirects=False,
                              data={"csrf_token": csrf, "target": "op2"})
    assert moved.status == 303
    assert conversation_id in (await desk.router.operator("op2")).conversations
    assert (await desk.router.operator("op1")).load == 0
    assert (await client.get(base, allow_redirects=False)).status == 403  # no longer op1's
    # op2 sends it back to the queue, where op1 (available, with room) gets it again.
    await other.post(f"{base}/transfer", data={"csrf_token": other_csrf, "target": "queue"},
                     allow_redirects=False)
    await assigned_to(client, "op1")
    closed = await client.post(f"{base}/close", allow_redirects=False,
                               data={"csrf_token": csrf, "wrap_up": "answered"})
    assert closed.status == 303
    conversation = await desk.store.get(conversation_id)
    assert conversation.status is ConversationStatus.CLOSED and conversation.wrap_up == "answered"
    assert (await desk.router.operator("op1")).load == 0


async def test_a_supervisor_reassigns_from_the_queue(kb: None, client: Any, ctx: Context,
                                                     aiohttp_client: Any) -> None:
    operator = await aiohttp_client(client.server)
    await become(operator, ctx, "anglo", langs=("en",))  # no French skill: nothing comes
    await sms(client, "je voudrais parler a un humain", "SMS1")
    desk = client.app[DESK]

    async def queued() -> Any:
        return await desk.router.queue_length()
    await until(queued)
    csrf = csrf_of(await login(client, ctx, "chef", Role.SUPERVISOR))
    page = await (await client.get("/console/supervisor")).text()
    conversation_id = re.findall(r'name="conversation" value="([^"]+)"', page)[0]
    assert "anglo" in page
    response = await client.post("/console/supervisor/reassign", allow_redirects=False,
                                 data={"csrf_token": csrf, "conversation": conversation_id,
                                       "operator": "anglo"})
    assert response.status == 303
    assert (await desk.router.operator("anglo")).conversations == (conversation_id,)
    assert (await desk.store.get(conversation_id)).status is ConversationStatus.ASSIGNED
    assert await desk.router.queue_length() == 0


@pytest.mark.parametrize("path", ["/console/panel", "/console/supervisor"])
async def test_pages_need_a_session(client: Any, path: str) -> None:
    assert (await client.get(path, allow_redirects=False)).status == 303


async def test_reinforcement_staff_send_suggested_or_canned_replies_only(
        kb: None, client: Any, ctx: Context) -> None:
    password = "a long password!"
    await ctx.accounts.create_account("vol1", Role.OPERATOR, password, actor=ADMIN,
                                      reinforcement=True,
                                      expires_at=utcnow() + dt.timedelta(hours=72))
    response = await client.post("/api/session", json={"name": "vol1", "password": password})
    csrf = (await response.json())["csrf"]
    await set_status(client, csrf, "available")
    await sms(client, "je voudrais parler a un humain", "SMR1")
    [conversation_id] = await assigned_to(client, "vol1")
    base = f"/console/c/{conversation_id}"
    free = await client.post(f"{base}/reply", allow_redirects=False,
                             data={"csrf_token": csrf, "text": "Rentrez chez vous."})
    assert free.status == 403
    canned = await client.post(f"{base}/reply", allow_redirects=False,
                               data={"csrf_token": csrf, "text": t("hello", "fr", CANNED)})
    assert canned.status == 303
    desk = client.app[DESK]
    assert [m.text for m in await desk.store.messages(conversation_id)
            if m.author == "vol1"] == [t("hello", "fr", CANNED)]
