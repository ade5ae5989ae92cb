"""The watch's `Signal`: one observation from any source, as the contract's JSON line says it.

    {"source": "rss|social|contact|poll|...", "time": "ISO 8601", "text": "...", "url": "...",
     "lang": "fr", "area": "75", "author_kind": "media|official|citizen|...", "reach": 1200}

`source`, `time` and `text` are required; unknown keys are an error (a typo must not silently
drop a field); a time more than FUTURE_SLACK in the future is refused (a clock or a unit error
would otherwise sit at the head of every window), and so is one before 1970 (the same errors
the other way). A sender can fix its line, so it is refused and named; a feed's entry, which
nobody here can fix, is dated at fetch time instead (monitoring/feed_polling.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

import msgspec

from crisis.areas import DEPARTEMENTS
from crisis.errors import InvalidInput

MAX_TEXT_CHARS: Final = 10_000
MAX_URL_CHARS: Final = 2_000
FUTURE_SLACK: Final = dt.timedelta(minutes=5)
OLDEST: Final = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
FIELDS: Final = frozenset({"source", "time", "text", "url", "lang", "area", "author_kind", "reach"})
_SOURCE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_LANG = re.compile(r"[a-z]{2,3}")


class Signal(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One signal as it enters the intake stream (before normalisation)."""

    source: str
    time: dt.datetime
    text: str
    url: str = ""
    lang: str = ""
    area: str = ""
    author_kind: str = ""
    reach: int | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Signal)
_loose = msgspec.json.Decoder(dict[str, Any])


def encode_signal(signal: Signal) -> bytes:
    return _encoder.encode(signal)


def decode_signal(raw: bytes | str) -> Signal:
    """A signal read back from the stream (already validated when it went in)."""
    return _decoder.decode(raw)


def _text_field(record: dict[str, Any], name: str, limit: int) -> str:
    value = record.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name!r} must be a string")
    if len(value) > limit:
        raise InvalidInput(f"{name!r} is longer than {limit} characters")
    return value.strip()


def _time(value: Any, now: dt.datetime) -> dt.datetime:
    if not isinstance(value, str):
        raise InvalidInput("'time' must be an ISO 8601 string")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'time' is not ISO 8601: {value[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)  # the contract: UTC unless an offset says
    try:
        when = when.astimezone(dt.timezone.utc)
    except OverflowError:  # year 1 with a positive offset: before year 1 in UTC
        raise InvalidInput(f"'time' is out of range: {value[:40]!r}") from None
    if when > now + FUTURE_SLACK:
        raise InvalidInput(f"'time' is in the future: {value[:40]}")
    if when < OLDEST:
        raise InvalidInput(f"'time' is before 1970: {value[:40]}")
    return when


def signal_from_record(record: Any, *, now: dt.datetime | None = None) -> Signal:
    """A validated Signal from one decoded JSON object; InvalidInput says what is wrong."""
    if not isinstance(record, dict):
        raise InvalidInput("a signal must be a JSON object")
    unknown = sorted(set(record) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown keys: {', '.join(unknown)}")
    for name in ("source", "time", "text"):
        if record.get(name) in (None, ""):
            raise InvalidInput(f"{name!r} is required")
    source = _text_field(record, "source", 32).lower()
    if not _SOURCE.fullmatch(source):
        raise InvalidInput(f"'source' must be a short lower-case word, not {source[:32]!r}")
    text = _text_field(record, "text", MAX_TEXT_CHARS)
    if not text:
        raise InvalidInput("'text' is empty")
    lang = _text_field(record, "lang", 3).lower()
    if lang and not _LANG.fullmatch(lang):
        raise InvalidInput(f"'lang' must be an ISO 639 code, not {lang!r}")
    area = _text_field(record, "area", 3).upper()
    if area and area not in DEPARTEMENTS:
        raise InvalidInput(f"'area' is not a département code: {area!r}")
    reach = record.get("reach")
    if reach is not None and (isinstance(reach, bool) or not isinstance(reach, int) or reach < 0):
        raise InvalidInput("'reach' must be a whole number, 0 or more")
    return Signal(source=source, time=_time(record["time"], now or dt.datetime.now(dt.timezone.utc)),
                  text=text, url=_text_field(record, "url", MAX_URL_CHARS), lang=lang, area=area,
                  author_kind=_text_field(record, "author_kind", 32).lower(), reach=reach)


def parse_signal_line(line: bytes | str, *, now: dt.datetime | None = None) -> Signal:
    """One JSON line -> a Signal; InvalidInput with the reason when it is not a valid one."""
    try:
        record = _loose.decode(line)
    except msgspec.DecodeError as err:
        raise InvalidInput(f"not a JSON object ({err})") from None
    except msgspec.ValidationError:
        raise InvalidInput("a signal must be a JSON object") from None
    return signal_from_record(record, now=now)
