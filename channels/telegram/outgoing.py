"""What the Telegram adapter sends: texts cut to Telegram's size, the answer's buttons, and
the library's errors in our words (retry or not)."""

from __future__ import annotations

import datetime as dt
import re
import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError,
                            RetryAfter, TelegramError)
from telegram.warnings import PTBDeprecationWarning

from channels.messages import say
from channels.telegram.updates import useful_data
from crisis.errors import ChannelError
from crisis.types import ChannelKind

MAX_MESSAGE = 4096  # UTF-16 code units: Telegram counts an emoji as two
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """`text` in pieces Telegram accepts, cut between paragraphs, else between sentences,
    else between words, else anywhere; each piece is stripped and none is empty."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        _pack(_fitting(paragraph.strip(), limit), pieces, limit, "\n\n")
    return [piece for piece in pieces if piece]


def _fitting(paragraph: str, limit: int) -> list[str]:
    """A paragraph as parts of at most `limit`: its sentences, a long sentence by words,
    a long word by characters."""
    if utf16_len(paragraph) <= limit:
        return [paragraph]
    parts: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        if utf16_len(sentence) <= limit:
            parts.append(sentence)
            continue
        words: list[str] = []
        for word in sentence.split():
            words.extend(_hard_cut(word, limit))
        _pack(words, parts, limit, " ")
    merged: list[str] = []
    _pack(parts, merged, limit, " ")
    return merged


def _hard_cut(word: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in word:
        width = 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    return [*pieces, "".join(current)]


def _pack(parts: list[str], out: list[str], limit: int, glue: str) -> None:
    """Append `parts` to `out`, joining them onto its last piece while they fit."""
    for part in parts:
        if out and utf16_len(out[-1] + glue + part) <= limit:
            out[-1] = out[-1] + glue + part
        else:
            out.append(part)


def answer_keyboard(article_id: str, lang: str) -> InlineKeyboardMarkup:
    """The buttons under a knowledge-base answer: was it useful, and a person to talk to."""
    rows: list[list[InlineKeyboardButton]] = []
    yes, no = useful_data(article_id, "yes"), useful_data(article_id, "no")
    if yes is not None and no is not None:
        rows.append([InlineKeyboardButton(say("useful_button", lang, ChannelKind.TELEGRAM),
                                          callback_data=yes),
                     InlineKeyboardButton(say("not_useful_button", lang, ChannelKind.TELEGRAM),
                                          callback_data=no)])
    rows.append([InlineKeyboardButton(say("adviser_button", lang, ChannelKind.TELEGRAM),
                                      callback_data="human")])
    return InlineKeyboardMarkup(rows)


def channel_error(err: TelegramError) -> ChannelError:
    """The library's error as ours: whether a later try can succeed, and when."""
    if isinstance(err, RetryAfter):
        return ChannelError(f"Telegram flood control: {err.message}", retryable=True,
                            retry_after_s=retry_after_seconds(err))
    if isinstance(err, Forbidden):  # blocked by the citizen, or the bot was removed
        return ChannelError(f"Telegram refused: {err.message}", retryable=False)
    if isinstance(err, BadRequest):  # chat not found, text refused: the same call fails again
        return ChannelError(f"Telegram refused the message: {err.message}", retryable=False)
    if isinstance(err, InvalidToken):
        return ChannelError("Telegram refused the bot token (TELEGRAM_BOT_TOKEN)",
                            retryable=False)
    if isinstance(err, ChatMigrated):  # a group became a supergroup: never a private chat
        return ChannelError(f"Telegram chat moved: {err.message}", retryable=False)
    if isinstance(err, NetworkError):  # TimedOut included; 5xx come as NetworkError too
        return ChannelError(f"Telegram unreachable: {err.message}", retryable=True)
    return ChannelError(f"Telegram error: {err.message}", retryable=True)


def retry_after_seconds(err: RetryAfter) -> float:
    """Telegram's wait in seconds, whether the library gives an int (v21, v22 by default,
    with a deprecation warning) or a timedelta (PTB_TIMEDELTA, later versions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)
