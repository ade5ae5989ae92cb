"""The Telegram adapter: verifies and parses the bot's webhook, sends through the Bot API.

Sends go through python-telegram-bot's Bot (async, httpx) pointed at TELEGRAM_API_BASE. One
Bot serves every send of an event loop; a new loop gets a new Bot, because RQ runs each
coroutine job in its own `asyncio.run` and a client's connections die with their loop. So a
job that runs in a loop of its own calls `aclose()` before it returns (its connections are
closed while their loop still runs; each new loop's Bot then costs one getMe).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Mapping
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from channels.telegram.outgoing import answer_keyboard, channel_error, split_text
from channels.telegram.updates import decode_update, messages_of
from crisis.errors import ChannelError, ConfigError, Forbidden
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, OutboundMessage

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own limits for a bot: about 30 messages a second in all, one a second per chat.
PER_CHAT_PER_SECOND = 1
ALLOWED_UPDATES = ("message", "callback_query")  # all the centre reads (updates.messages_of)
_MAX_NOTICE = 4096


class TelegramBot:
    """The Telegram channel (crisis.ports.ChannelAdapter); see docs/contact-centre.md."""

    kind = ChannelKind.TELEGRAM
    inbound_path: str | None = "/hooks/telegram"
    status_path: str | None = None  # Telegram has no delivery receipts
    queued = True
    replies_in_acknowledgement = True  # the Bot API method given as the webhook's answer
    headers: tuple[str, ...] = (SECRET_HEADER,)

    def __init__(self, settings: Settings, *, connection_pool_size: int = 16) -> None:
        if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
            raise ConfigError("the Telegram channel needs TELEGRAM_BOT_TOKEN and "
                              "TELEGRAM_WEBHOOK_SECRET")
        self._token = settings.telegram_bot_token.reveal()
        self._secret = settings.telegram_webhook_secret.reveal()
        self._base_url = settings.telegram_api_base.rstrip("/") + "/bot"
        self._pool_size = connection_pool_size
        self.per_second = settings.telegram_messages_per_second
        self._bot: Bot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting = asyncio.Lock()

    # --- inbound ---
    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """The update's message, if it is one the centre answers (updates.messages_of).
        Forbidden without our secret header; InvalidInput when the body is no update."""
        given = _header(request.headers, SECRET_HEADER)
        if not hmac.compare_digest(given.encode("utf-8", "replace"),
                                   self._secret.encode("utf-8", "replace")):
            raise Forbidden("invalid Telegram secret token")
        return messages_of(decode_update(request.body))

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        """Telegram runs one Bot API method given as the webhook's answer: the notice as a
        message in the chat; else, for a button press, answerCallbackQuery so the button
        stops spinning; else nothing."""
        call: dict[str, Any] = {}
        first = messages[0] if messages else None
        if first is not None and notice:
            call = {"method": "sendMessage", "chat_id": _chat_id(first.address),
                    "text": notice[:_MAX_NOTICE]}
        elif first is not None and first.thread.get("callback_query_id"):
            call = {"method": "answerCallbackQuery",
                    "callback_query_id": first.thread["callback_query_id"]}
        return WebhookReply(json.dumps(call, ensure_ascii=False).encode(), "application/json")

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        return None  # Telegram sends no receipts: a message the API accepted counts as sent

    # --- outbound ---
    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        return (Pace("telegram", self.per_second),
                Pace(f"telegram:{message.address}", PER_CHAT_PER_SECOND))

    async def send(self, message: OutboundMessage) -> str:
        """Send `message` (in several messages when over 4,096 characters, the buttons under
        the last); returns "<chat>:<message id>" of the last. ChannelError on failure."""
        pieces = split_text(message.text)
        if not pieces:
            raise ChannelError("Telegram cannot send an empty message", retryable=False)
        markup = answer_keyboard(message.article_id, message.lang) if message.article_id else None
        chat = _chat_id(message.address)
        bot = await self._ready_bot()
        try:
            for number, piece in enumerate(pieces, start=1):
                sent = await bot.send_message(
                    chat, piece, reply_markup=markup if number == len(pieces) else None)
        except TelegramError as err:
            raise _translated(err)
        return f"{chat}:{sent.message_id}"

    async def register_webhook(self, public_url: str) -> None:
        """Point the bot's webhook at `public_url` (CRISIS_PUBLIC_URL) + /hooks/telegram,
        with our secret and only the update kinds the centre reads."""
        bot = await self._ready_bot()
        try:
            await bot.set_webhook(url=public_url.rstrip("/") + str(self.inbound_path),
                                  secret_token=self._secret,
                                  allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as err:
            raise _translated(err)

    async def aclose(self) -> None:
        """Close this loop's Bot (its HTTP connections); the next send opens a new one."""
        bot, loop = self._bot, self._loop
        self._bot = self._loop = None
        if bot is not None and loop is asyncio.get_running_loop():
            await bot.shutdown()

    async def _ready_bot(self) -> Bot:
        """This loop's Bot, initialised (getMe) once."""
        loop = asyncio.get_running_loop()
        if self._bot is None or self._loop is not loop:
            # A previous loop's Bot is left behind: its loop is closed, nothing to release.
            self._bot, self._loop = self._new_bot(), loop
            self._starting = asyncio.Lock()
        bot = self._bot
        async with self._starting:
            try:
                await bot.initialize()  # returns at once once done
            except TelegramError as err:
                raise _translated(err)
        return bot

    def _new_bot(self) -> Bot:
        request = HTTPXRequest(connection_pool_size=self._pool_size)
        return Bot(self._token, base_url=self._base_url, request=request)


def _translated(err: TelegramError) -> ChannelError:
    """Ours, chained to the library's, except InvalidToken: its message holds the token."""
    translated = channel_error(err)
    translated.__cause__ = None if isinstance(err, InvalidToken) else err
    translated.__suppress_context__ = True
    return translated


def _chat_id(address: str) -> int | str:
    """A chat id as the Bot API takes it (the address is its decimal form)."""
    try:
        return int(address)
    except ValueError:
        return address


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict from a test or another framework: any case
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value
