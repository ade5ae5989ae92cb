"""The Telegram adapter against the stand-in Bot API over real HTTP on loopback, through the
real python-telegram-bot: what a citizen's update becomes, what the bot sends, how Telegram's
refusals come back (retry or not)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from channels.telegram.adapter import SECRET_HEADER, TelegramBot
from channels.telegram.outgoing import split_text, utf16_len
from crisis.errors import ChannelError, ConfigError, Forbidden, InvalidInput
from crisis.ports import InboundRequest, Pace
from crisis.settings import Settings, load_settings
from crisis.types import ChannelKind, OutboundMessage
from testbed.telegram import (TOKEN, TelegramStandIn, callback_update, command_update,
                              message_update, photo_update, sticker_update, webhook_headers)

SECRET = "webhook-secret_for-tests"
CHAT = 424242


@pytest.fixture
async def standin() -> AsyncIterator[tuple[TelegramStandIn, str]]:
    api = TelegramStandIn()
    server = TestServer(api.app(), host="127.0.0.1")
    await server.start_server()
    yield api, str(server.make_url("")).rstrip("/")
    await server.close()


def telegram_settings(api_base: str = "http://127.0.0.1:9") -> Settings:
    return load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                          "TELEGRAM_API_BASE": api_base})


@pytest.fixture
async def bot(standin: tuple[TelegramStandIn, str]) -> AsyncIterator[TelegramBot]:
    adapter = TelegramBot(telegram_settings(standin[1]))
    yield adapter
    await adapter.aclose()


PARSER = TelegramBot(telegram_settings())  # parsing does no I/O: one adapter for them all


def posted(update: Any, secret: str | None = SECRET) -> InboundRequest:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = webhook_headers(secret) if secret is not None else {}
    return InboundRequest(url="https://crisis.example.gouv.fr/hooks/telegram",
                          headers=headers, form={}, body=body)


def reply(text: str, article_id: str | None = None, lang: str = "fr",
          chat: int = CHAT) -> OutboundMessage:
    return OutboundMessage(channel=ChannelKind.TELEGRAM, address=str(chat), text=text,
                           conversation_id="c1", message_id="m1", lang=lang,
                           article_id=article_id)


# --- the adapter's declaration ---
def test_the_adapter_declares_its_webhook_and_pacing() -> None:
    assert (PARSER.kind, PARSER.inbound_path, PARSER.status_path, PARSER.queued) == (
        ChannelKind.TELEGRAM, "/hooks/telegram", None, True)
    assert PARSER.headers == ("X-Telegram-Bot-Api-Secret-Token",)
    assert PARSER.pacing(reply("x")) == (Pace("telegram", 30), Pace(f"telegram:{CHAT}", 1))
    assert PARSER.parse_delivery(posted({"update_id": 1})) is None


def test_without_token_or_secret_the_channel_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"):
        TelegramBot(load_settings({}))


# --- inbound: who may post, what is refused ---
@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "é" * 3])
def test_an_update_without_our_secret_is_forbidden(secret: str | None) -> None:
    with pytest.raises(Forbidden):
        PARSER.parse_inbound(posted(message_update(CHAT, "bonjour"), secret))


def test_the_secret_header_is_read_in_any_case() -> None:
    request = InboundRequest(url="", headers={SECRET_HEADER.lower(): SECRET}, form={},
                             body=json.dumps(message_update(CHAT, "bonjour")).encode())
    assert [m.text for m in PARSER.parse_inbound(request)] == ["bonjour"]


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe", b"[]", b'"text"', b"{}", b'{"update_id": "12"}',
    b'{"update_id": true}', b"[" * 100_000, b'{"update_id": 1, "message": "hello"}',
    b'{"update_id": 1, "message": {"chat": 5}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 1e300, "chat": {"id": 1}}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, '
    b'"type": "private"}, "text": ["a list"]}}',
    b'{"update_id": 1, "pad": "' + b"x" * 300_000 + b'"}',
])
def test_a_malformed_body_is_invalid_input(body: bytes) -> None:
    with pytest.raises(InvalidInput):
        PARSER.parse_inbound(posted(body))


@pytest.mark.parametrize("depth", [900, 2500])
def test_replies_nested_past_the_stack_are_invalid_input(depth: int) -> None:
    head = ('{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"x",'
            '"reply_to_message":')
    body = ('{"update_id":1,"message":' + head * depth + '{"message_id":1,"date":1,'
            '"chat":{"id":1,"type":"private"}}' + "}" * depth + "}").encode()
    with pytest.raises(InvalidInput):
        PARSER.parse_inbound(posted(body))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)
UPDATE_FIELDS = st.sampled_from(["message", "callback_query", "edited_message", "channel_post"])
MESSAGE_FIELDS = st.sampled_from(["chat", "from", "text", "caption", "date", "message_id",
                                  "photo", "sticker", "document", "location", "entities",
                                  "reply_to_message", "data", "message", "id", "type"])


def mutated(update: dict[str, Any], field: str, inner: str, value: Any) -> dict[str, Any]:
    """`update` with one field, or one field of its inner object, replaced by any JSON."""
    copy: dict[str, Any] = json.loads(json.dumps(update))
    target = copy.get(field)
    if isinstance(target, dict) and inner in target and isinstance(target[inner], dict):
        target[inner][next(iter(target[inner]), "id")] = value
    elif isinstance(target, dict):
        target[inner] = value
    else:
        copy[field] = value
    return copy


@hypothesis_settings(max_examples=300, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from([message_update(CHAT, "eau potable ?"), callback_update(CHAT, "human"),
                             photo_update(CHAT, "photo"), command_update(CHAT, "alerte", "75")]),
       field=UPDATE_FIELDS, inner=MESSAGE_FIELDS, value=JSON, raw=JSON)
def test_any_json_is_messages_or_invalid_input_never_another_error(
        base: dict[str, Any], field: str, inner: str, value: Any, raw: Any) -> None:
    for update in (mutated(base, field, inner, value), raw, {"update_id": 7, field: raw}):
        try:
            messages = PARSER.parse_inbound(posted(update))
        except InvalidInput:
            continue
        for message in messages:
            assert message.channel is ChannelKind.TELEGRAM and message.address
            assert isinstance(message.text, str) and len(message.text) <= 4096


# --- inbound: what a citizen's update becomes ---
def test_a_text_message_becomes_the_citizens_message() -> None:
    update = message_update(CHAT, "Où trouver de l'eau potable ?", update_id=900)
    [message] = PARSER.parse_inbound(posted(update))
    assert (message.channel, message.address, message.text, message.provider_id,
            message.lang) == (ChannelKind.TELEGRAM, str(CHAT),
                              "Où trouver de l'eau potable ?", "u900", "fr")


def test_a_redelivered_update_keeps_its_provider_id_so_the_store_drops_it() -> None:
    update = message_update(CHAT, "bonjour")
    first, again = (PARSER.parse_inbound(posted(update)) for _ in range(2))
    assert first[0].provider_id == again[0].provider_id == f"u{update['update_id']}"


@pytest.mark.parametrize(("code", "lang"), [("en", "en"), ("en-GB", "en"), ("fr", "fr"),
                                             ("de", "fr"), ("", "fr")])
def test_the_language_follows_the_citizens_telegram(code: str, lang: str) -> None:
    [message] = PARSER.parse_inbound(posted(message_update(CHAT, "hello", lang=code)))
    assert message.lang == lang


def test_a_long_text_is_cut_to_what_telegram_can_carry() -> None:
    [message] = PARSER.parse_inbound(posted(message_update(CHAT, "a" * 5000)))
    assert len(message.text) == 4096


@pytest.mark.parametrize(("update", "text"), [
    (command_update(CHAT, "start"), "/start"),
    (command_update(CHAT, "info", mention=True), "/info"),
    (command_update(CHAT, "alerte", "75", " 92"), "/alerte 75 92"),
    (command_update(CHAT, "Alerte", "75", "92", mention=True), "/alerte 75 92"),
    (command_update(CHAT, "stop"), "/stop"),
])
def test_commands_stay_text_in_one_normal_form(update: dict[str, Any], text: str) -> None:
    assert [m.text for m in PARSER.parse_inbound(posted(update))] == [text]


@pytest.mark.parametrize(("data", "text"), [
    ("human", "conseiller"), ("useful:eau-potable:yes", "/useful eau-potable yes"),
    ("useful:eau-potable:no", "/useful eau-potable no")])
def test_a_button_press_becomes_what_it_says(data: str, text: str) -> None:
    update = callback_update(CHAT, data, lang="en")
    [message] = PARSER.parse_inbound(posted(update))
    assert (message.text, message.address, message.lang, message.provider_id) == (
        text, str(CHAT), "en", f"u{update['update_id']}")
    assert message.thread["callback_query_id"] == update["callback_query"]["id"]


@pytest.mark.parametrize("update", [
    callback_update(CHAT, "someone-elses-button"),
    {**message_update(CHAT, "x"), "message": None, "edited_message":
     message_update(CHAT, "corrigé")["message"]},
    {"update_id": 5, "channel_post": message_update(-1001, "post", chat_type="channel")["message"]},
    message_update(-100123, "dans un groupe", chat_type="supergroup"),
    message_update(-123, "dans un groupe", chat_type="group"),
    message_update(CHAT, None),  # a service message: nothing to read
    {"update_id": 6, "my_chat_member": {"anything": 1}},
])
def test_updates_the_centre_does_not_answer_are_dropped(update: dict[str, Any]) -> None:
    assert PARSER.parse_inbound(posted(update)) == []


def test_a_photo_or_sticker_without_text_arrives_with_its_description() -> None:
    [photo] = PARSER.parse_inbound(posted(photo_update(CHAT)))
    [captioned] = PARSER.parse_inbound(posted(photo_update(CHAT, "ma rue inondée")))
    [sticker] = PARSER.parse_inbound(posted(sticker_update(CHAT, "🙏")))
    assert (photo.text, photo.attachments) == ("", ("photo",))
    assert (captioned.text, captioned.attachments) == ("ma rue inondée", ("photo",))
    assert (sticker.text, sticker.attachments) == ("", ("sticker 🙏",))


# --- the webhook's answer ---
def test_the_acknowledgement_is_a_bot_api_call_or_nothing() -> None:
    [text] = PARSER.parse_inbound(posted(message_update(CHAT, "bonjour")))
    [press] = PARSER.parse_inbound(posted(callback_update(CHAT, "human")))
    empty, notice, answered = (PARSER.acknowledge([text]), PARSER.acknowledge([text], "Reçu"),
                               PARSER.acknowledge([press]))
    assert {r.content_type for r in (empty, notice, answered)} == {"application/json"}
    assert json.loads(empty.body) == {} and json.loads(PARSER.acknowledge([]).body) == {}
    assert json.loads(notice.body) == {"method": "sendMessage", "chat_id": CHAT, "text": "Reçu"}
    assert json.loads(answered.body) == {"method": "answerCallbackQuery",
                                         "callback_query_id": press.thread["callback_query_id"]}


# --- sending through the real library ---
async def test_a_reply_is_sent_to_the_chat(bot: TelegramBot,
                                           standin: tuple[TelegramStandIn, str]) -> None:
    api = standin[0]
    provider_id = await bot.send(reply("Restez chez vous."))
    [sent] = api.messages
    assert (sent["chat"]["id"], sent["text"], "reply_markup" in sent) == (
        CHAT, "Restez chez vous.", False)
    assert provider_id == f"{CHAT}:{sent['message_id']}"
    await bot.send(reply("Encore."))
    assert len(api.calls_of("getMe")) == 1  # one client, initialised once


@pytest.mark.parametrize(("lang", "labels"), [
    ("fr", [["👍 Utile", "👎 Pas utile"], ["Parler à un conseiller"]]),
    ("en", [["👍 Useful", "👎 Not useful"], ["Talk to an adviser"]])])
async def test_an_answer_carries_its_buttons_in_the_citizens_language(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str], lang: str,
        labels: list[list[str]]) -> None:
    await bot.send(reply("L'eau du robinet est potable.", article_id="eau-potable", lang=lang))
    keyboard = standin[0].messages[0]["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == labels
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        ["useful:eau-potable:yes", "useful:eau-potable:no"], ["human"]]
    # and the buttons come back as what they say
    pressed = callback_update(CHAT, keyboard[0][1]["callback_data"])
    assert [m.text for m in PARSER.parse_inbound(posted(pressed))] == ["/useful eau-potable no"]


async def test_a_long_text_goes_in_pieces_cut_between_paragraphs(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str]) -> None:
    paragraphs = [f"Paragraphe {n}. " + "Une consigne de sécurité. " * 60 for n in range(8)]
    text = "\n\n".join(paragraphs)
    provider_id = await bot.send(reply(text, article_id="consignes"))
    sent = standin[0].messages
    assert len(sent) > 1 and all(utf16_len(m["text"]) <= 4096 for m in sent)
    assert all(m["text"].startswith("Paragraphe") for m in sent)
    assert " ".join(" ".join(m["text"].split()) for m in sent) == " ".join(text.split())
    assert ["reply_markup" in m for m in sent] == [False] * (len(sent) - 1) + [True]
    assert provider_id == f"{CHAT}:{sent[-1]['message_id']}"


def test_the_cutting_keeps_every_word_within_the_limit() -> None:
    text = "Première phrase. " * 10 + "x" * 9000 + " 🌊" * 3000
    pieces = split_text(text, limit=4096)
    assert all(0 < utf16_len(p) <= 4096 for p in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())
    assert split_text("  \n ") == []


async def test_flood_control_is_retryable_after_telegrams_wait(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str]) -> None:
    api = standin[0]
    await bot.send(reply("premier"))
    api.retry_after, api.fail_next = 7, [429]
    with pytest.raises(ChannelError) as caught:
        await bot.send(reply("second"))
    assert (caught.value.retryable, caught.value.retry_after_s) == (True, 7.0)
    await bot.send(reply("second"))  # the next try goes through
    assert [m["text"] for m in api.messages] == ["premier", "second"]


@pytest.mark.parametrize(("status", "retryable"), [(403, False), (400, False), (500, True)])
async def test_telegrams_refusals_say_whether_a_retry_can_help(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str], status: int,
        retryable: bool) -> None:
    standin[0].fail_next = [status]
    with pytest.raises(ChannelError) as caught:
        await bot.send(reply("Consigne"))
    assert caught.value.retryable is retryable and standin[0].messages == []


async def test_a_citizen_who_blocked_the_bot_is_not_retried(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str]) -> None:
    standin[0].blocked.add(CHAT)
    with pytest.raises(ChannelError, match="blocked by the user") as caught:
        await bot.send(reply("Consigne"))
    assert caught.value.retryable is False


async def test_an_unreachable_api_is_retryable() -> None:
    adapter = TelegramBot(telegram_settings("http://127.0.0.1:9"))  # nothing listens there
    with pytest.raises(ChannelError) as caught:
        await adapter.send(reply("Consigne"))
    assert caught.value.retryable is True
    await adapter.aclose()


async def test_a_wrong_token_is_not_retried_and_never_shown(
        standin: tuple[TelegramStandIn, str]) -> None:
    adapter = TelegramBot(load_settings({"TELEGRAM_BOT_TOKEN": "999:wrong-token",
                                         "TELEGRAM_WEBHOOK_SECRET": SECRET,
                                         "TELEGRAM_API_BASE": standin[1]}))
    with pytest.raises(ChannelError) as caught:
        await adapter.send(reply("Consigne"))
    assert caught.value.retryable is False and caught.value.__cause__ is None
    assert "wrong-token" not in str(caught.value)
    await adapter.aclose()


async def test_register_webhook_gives_telegram_our_url_and_secret(
        bot: TelegramBot, standin: tuple[TelegramStandIn, str]) -> None:
    await bot.register_webhook("https://crisis.example.gouv.fr/")
    assert standin[0].webhook == {"url": "https://crisis.example.gouv.fr/hooks/telegram",
                                  "secret_token": SECRET,
                                  "allowed_updates": ["message", "callback_query"]}


async def test_sends_from_one_event_loop_after_another_as_rq_jobs_do(
        standin: tuple[TelegramStandIn, str]) -> None:
    """RQ runs each coroutine job in its own asyncio.run: the adapter built once at the
    worker's start must still send from the second loop."""
    api, base = standin
    adapter = TelegramBot(telegram_settings(base))

    async def job(text: str) -> str:
        try:
            return await adapter.send(reply(text))
        finally:
            await adapter.aclose()  # before asyncio.run closes the loop its connections use

    # Each job in a thread with its own loop, while this loop serves the stand-in.
    ids = [await asyncio.to_thread(asyncio.run, job(text)) for text in ("un", "deux")]
    assert [m["text"] for m in api.messages] == ["un", "deux"] and len(set(ids)) == 2
    assert len(api.calls_of("getMe")) == 2  # a new client for the new loop


# --- the stand-in answers like the Bot API (JSON bodies too, as other clients send) ---
async def test_the_stand_in_refuses_what_telegram_refuses(
        standin: tuple[TelegramStandIn, str]) -> None:
    api, base = standin
    async with aiohttp.ClientSession() as http:
        async def call(method: str, token: str = TOKEN, **params: Any) -> tuple[int, Any]:
            async with http.post(f"{base}/bot{token}/{method}", json=params) as response:
                return response.status, await response.json()

        assert await call("getMe", token="1:nope") == (
            401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        assert (await call("sendMessage", chat_id=CHAT, text=""))[1]["description"] == (
            "Bad Request: message text is empty")
        assert (await call("sendMessage", chat_id=CHAT, text="é" * 4097))[1]["description"] == (
            "Bad Request: message is too long")
        assert (await call("sendMessage", chat_id="abc", text="x"))[1]["description"] == (
            "Bad Request: chat not found")
        assert (await call("noSuchMethod"))[0] == 404
        status, body = await call("sendMessage", chat_id=CHAT, text="x" * 4096)
        assert status == 200 and body["result"]["chat"]["id"] == CHAT
        api.fail_next = [429]
        assert await call("sendMessage", chat_id=CHAT, text="x") == (429, {
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3}})
        assert (await call("answerCallbackQuery", callback_query_id="42"))[1]["result"] is True
        status, body = await call("editMessageReplyMarkup", chat_id=CHAT,
                                  message_id=api.messages[0]["message_id"], reply_markup={
                                      "inline_keyboard": [[{"text": "a", "callback_data": "b"}]]})
        assert status == 200 and api.messages[0]["reply_markup"]["inline_keyboard"]
        await call("setWebhook", url="https://x.example/hooks/telegram", secret_token="s-1")
        assert (await call("getWebhookInfo"))[1]["result"]["url"] == "https://x.example/hooks/telegram"
        await call("deleteWebhook")
        assert api.webhook == {}
