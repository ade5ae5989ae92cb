"""Telegram updates as citizens' messages: the webhook body turned into InboundMessage values.

Only a private chat's new message and a press on one of our buttons become messages; the
rest is dropped on purpose (see `messages_of`). Commands stay text, in one normal form
("/alerte 75 92"), for the inbound decision to read like any other message.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import CallbackQuery, Message, Update, User

from crisis.errors import InvalidInput, TooLarge
from crisis.types import ChannelKind, InboundMessage, utcnow

MAX_UPDATE_BYTES = 262_144  # an update with 4,096 characters, entities and a quoted reply fits
MAX_TEXT = 4096  # what a Telegram message can hold; a longer body is not Telegram's
HUMAN_REQUEST = "conseiller"  # the inbound decision's word for "a person, please"
_MAX_CALLBACK_DATA = 64  # bytes, Telegram's own bound

# What a message without text carries, in the words an operator reads in the console.
_ATTACHMENTS: tuple[tuple[str, str], ...] = (
    ("photo", "photo"), ("sticker", "sticker"), ("document", "document"),
    ("voice", "voice message"), ("audio", "audio"), ("video", "video"),
    ("video_note", "video message"), ("animation", "animation"), ("location", "location"),
    ("venue", "venue"), ("contact", "contact"), ("poll", "poll"), ("dice", "dice"),
)
# The translation of de_json's complaints about a well-formed JSON object of the wrong
# shape (a string where an object belongs, a missing field, a date out of range).
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
                 OSError, RecursionError)


def decode_update(body: bytes) -> Update:
    """The body as an Update; InvalidInput (TooLarge) when it is not one."""
    if len(body) > MAX_UPDATE_BYTES:
        raise TooLarge(f"a Telegram update over {MAX_UPDATE_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidInput("a Telegram update must be JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("a Telegram update must be a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise InvalidInput("a Telegram update needs a whole-number update_id")
    try:
        return Update.de_json(data, None)
    except _SHAPE_ERRORS as err:
        raise InvalidInput(f"not a Telegram update: {type(err).__name__}") from None


def messages_of(update: Update) -> list[InboundMessage]:
    """The citizen's messages an update carries: none, or one.

    Dropped: edited messages (the citizen's first version was already answered; a second
    answer would confuse more than help), channel posts and group chats (the centre answers
    one person at a time, and a reply in a group would disclose it to every member), and the
    update kinds we never ask for (allowed_updates) but Telegram may still send once.
    """
    provider_id = f"u{update.update_id}"  # a redelivered update keeps its id: the store drops it
    try:
        if update.message is not None:
            return _from_message(update.message, provider_id)
        if update.callback_query is not None:
            return _from_callback(update.callback_query, provider_id)
    except _SHAPE_ERRORS as err:  # de_json keeps whatever types the JSON had
        raise InvalidInput(f"not a Telegram update: {type(err).__name__}") from None
    return []


def _from_message(message: Message, provider_id: str) -> list[InboundMessage]:
    chat = message.chat
    if chat.type != "private" or not _is_id(chat.id):
        return []
    text = message.text if message.text is not None else message.caption
    if text is not None and not isinstance(text, str):
        raise InvalidInput("a Telegram message's text must be a string")
    attachments = _attachments(message)
    if text is None and not attachments:
        return []  # a service message (pinned, chat settings): nothing for an operator to read
    text = normal_command(text) if text and text.startswith("/") else (text or "")
    return [InboundMessage(
        channel=ChannelKind.TELEGRAM, address=str(chat.id), text=text[:MAX_TEXT],
        provider_id=provider_id, received_at=utcnow(), lang=lang_of(message.from_user),
        attachments=attachments)]


def _from_callback(query: CallbackQuery, provider_id: str) -> list[InboundMessage]:
    message = query.message
    chat = getattr(message, "chat", None)
    if chat is None or chat.type != "private" or not _is_id(chat.id):
        return []  # a button under a message too old for Telegram to include, or in a group
    text = button_text(query.data if isinstance(query.data, str) else "")
    if text is None:
        return []  # not a button of ours (an old keyboard): nothing for the centre to do
    return [InboundMessage(
        channel=ChannelKind.TELEGRAM, address=str(chat.id), text=text,
        provider_id=provider_id, received_at=utcnow(), lang=lang_of(query.from_user),
        thread={"callback_query_id": str(query.id)})]


def button_text(data: str) -> str | None:
    """What pressing one of our buttons says, as the inbound decision reads it:
    "human" -> "conseiller", "useful:<article>:yes|no" -> "/useful <article> yes|no"."""
    if data == "human":
        return HUMAN_REQUEST
    kind, _, rest = data.partition(":")
    article, _, verdict = rest.rpartition(":")
    if kind == "useful" and article and verdict in ("yes", "no"):
        return f"/useful {article} {verdict}"
    return None


def useful_data(article_id: str, verdict: str) -> str | None:
    """The callback data of a "was it useful?" button; None when the id is too long for
    Telegram's 64 bytes (the keyboard then offers the adviser alone)."""
    data = f"useful:{article_id}:{verdict}"
    return data if len(data.encode()) <= _MAX_CALLBACK_DATA else None


def normal_command(text: str) -> str:
    """A command in one form: lower-case name without "@botname", arguments separated by
    single spaces ("/Alerte@crisis_bot  75   92" -> "/alerte 75 92")."""
    head, *args = text.split()
    name = head.partition("@")[0].lower()
    return " ".join((name, *args))


def lang_of(user: User | None) -> str:
    """English for a Telegram set in any English, French for everyone else."""
    code = getattr(user, "language_code", None)
    return "en" if isinstance(code, str) and code.lower().startswith("en") else "fr"


def _attachments(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for field, label in _ATTACHMENTS:
        value = getattr(message, field, None)
        if value:
            found.append(_describe(field, label, value))
    return tuple(found)


def _describe(field: str, label: str, value: Any) -> str:
    """One attachment as a line of text (Telegram keeps the file; we keep no copy)."""
    if field == "sticker" and isinstance(getattr(value, "emoji", None), str):
        return f"{label} {value.emoji}"
    if field == "document" and isinstance(getattr(value, "file_name", None), str):
        return f"{label} {value.file_name[:100]}"
    if field == "location":
        return f"{label} {value.latitude},{value.longitude}"
    return label


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
