"""The contact centre watched like the media: each citizen's inbound message becomes an
anonymised signal (source "contact", author kind "citizen").

Anonymised before it enters the watch: e-mail addresses, phone numbers and other long digit
runs, web addresses, and names (after "je m'appelle", "je suis", "M.", "Mme", "Madame",
"Monsieur", and a signature's "Cordialement, X") are replaced by placeholders. The signal
keeps no conversation id, no address, no citizen id: nothing in the watch leads back to a
person. The message is read through a function the composition root hands in (the channels
package's store), since the watch does not import the contact centre.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Final

import redis.asyncio as aioredis

from crisis.types import Event
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.signal import MAX_TEXT_CHARS, Signal


@dataclasses.dataclass(frozen=True)
class CitizenMessage:
    """What the watch reads of one inbound message (no address, no citizen id)."""

    channel: str
    text: str
    at: dt.datetime
    lang: str = ""
    area: str = ""


# (conversation id, message id) -> the message, or None when it is gone (erased, purged).
CitizenMessageReader = Callable[[str, str | None], Awaitable[CitizenMessage | None]]

_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL: Final = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Phone numbers (+33 6 12 34 56 78, 06.12.34.56.78) and any other run of 5+ digits (a
# postcode is kept: 5 digits alone are not masked when they read as one).
_PHONE: Final = re.compile(r"(?<!\w)\+?\d[\d .-]{7,}\d(?!\w)")
_LONG_DIGITS: Final = re.compile(r"\b\d{6,}\b")
_NAME_WORD = r"[A-ZÀ-Ý][\w'-]+"
_NAMED: Final = re.compile(
    r"(?P<lead>(?i:\b(?:je m'appelle|je m’appelle|moi c'est|je suis|m\.|mme|mlle|madame|monsieur|mr))\s+)"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?)")
_SIGNATURE: Final = re.compile(
    r"(?P<lead>(?i:\b(?:cordialement|merci|bien à vous|salutations))[,.!]?\s+)"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?)\s*$")


def anonymise(text: str) -> str:
    """`text` with e-mails, web addresses, phone numbers, long numbers and names masked."""
    text = _EMAIL.sub("[courriel]", text)
    text = _URL.sub("[lien]", text)
    text = _PHONE.sub("[numéro]", text)
    text = _LONG_DIGITS.sub("[numéro]", text)
    text = _NAMED.sub(lambda m: f"{m.group('lead')}[nom]", text)
    return _SIGNATURE.sub(lambda m: f"{m.group('lead')}[nom]", text)


def signal_of(message: CitizenMessage) -> Signal | None:
    text = anonymise(message.text)[:MAX_TEXT_CHARS].strip()
    if not text:
        return None
    return Signal(source="contact", time=message.at.astimezone(dt.timezone.utc), text=text,
                  lang=message.lang if message.lang in ("fr", "en") else "", area=message.area,
                  author_kind="citizen", url=f"contact:{message.channel}")


async def watch_citizen_message(redis: aioredis.Redis, keys: WatchKeys,
                                read: CitizenMessageReader, event: Event) -> None:
    """The conversation.message_received handler: the message, anonymised, into the intake."""
    message_id = event.data.get("message")
    message = await read(event.subject, str(message_id) if message_id else None)
    if message is None:
        return
    signal = signal_of(message)
    if signal is not None:
        await add_signals(redis, keys, [signal])


async def watch_citizen_messages(redis: aioredis.Redis, keys: WatchKeys,
                                 read: CitizenMessageReader, events: list[Event]) -> list[Event]:
    """`watch_citizen_message` of a read's events together (the bus's batch handler): the
    reads started at once (the store writes them together), the signals in one round trip.
    Handles them all: none is left."""
    messages = await asyncio.gather(*(read(event.subject, str(message_id) if (
        message_id := event.data.get("message")) else None) for event in events))
    await add_signals(redis, keys, [signal for message in messages if message is not None
                                    and (signal := signal_of(message)) is not None])
    return []
