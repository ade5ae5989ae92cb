"""Mastodon statuses as the watch's signals, and watch keywords as Mastodon hashtags.

Pure: no I/O. A status is the JSON object Mastodon returns (Mastodon.py hands it over as a
dict subclass); anything in it may be missing or of the wrong type when an instance, a fork or
a proxy misbehaves, so every field is checked and a bad status is skipped, never raised.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from html.parser import HTMLParser
from typing import Any, Final

from crisis.errors import InvalidInput
from monitoring.signal import MAX_TEXT_CHARS, MAX_URL_CHARS, Signal, signal_from_record

SOURCE: Final = "mastodon"
MAX_HTML_CHARS: Final = 100_000  # parsed at most; a status is 500 characters on most instances
MAX_TAG_CHARS: Final = 100
_NOT_IN_TAG = re.compile(r"[^a-z0-9_]")
# Letters NFKD does not split, folded as Mastodon's ASCII folding of hashtags folds them.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_BLOCKS = frozenset({"p", "br", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4"})
_HIDDEN = frozenset({"script", "style", "template", "noscript", "iframe", "object"})


def hashtag_of(keyword: str) -> str | None:
    """The hashtag a keyword is posted under: "Crue de la Seine" -> "cruedelaseine",
    "évacuation" -> "evacuation". Mastodon matches tags case-insensitively and folds accents,
    so this is the one timeline that holds every spelling. None when nothing usable is left
    (all digits: Mastodon has no such tag)."""
    folded = unicodedata.normalize("NFKD", keyword.translate(_LIGATURES))
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    tag = _NOT_IN_TAG.sub("", folded)[:MAX_TAG_CHARS]
    return tag if tag and not tag.isdigit() else None


class _PlainText(HTMLParser):
    """Text of a status's HTML: tags dropped, entities decoded, script and style contents
    dropped whole (never shown as text), a space where a block or line break was."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """A status's content as one line of plain text, at most MAX_TEXT_CHARS."""
    parser = _PlainText()
    parser.feed(html[:MAX_HTML_CHARS])
    parser.close()
    return " ".join("".join(parser.parts).split())[:MAX_TEXT_CHARS]


def status_id(status: Any) -> str:
    """The status's id as text ("" when it has none): Mastodon's ids are digit strings."""
    value = status.get("id") if isinstance(status, dict) else None
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if 0 < len(text) <= 40 else ""


def id_order(value: str) -> tuple[int, str]:
    """Sort key of status ids: numeric ids by value (snowflakes grow), others after, as text."""
    return (len(value), value) if value.isdigit() else (100, value)


def _url(status: dict[str, Any]) -> str:
    for field in ("url", "uri"):
        value = status.get(field)
        if isinstance(value, str) and re.match(r"https?://", value) and len(value) <= MAX_URL_CHARS:
            return value
    return ""


def _time(value: Any, now: dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    elif isinstance(value, str):
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))  # ValueError: skipped
    else:
        raise InvalidInput("no created_at")
    # An instance's clock ahead of ours counts as now, not as a signal from the future.
    return min(when.astimezone(dt.timezone.utc), now).isoformat()


def signal_of(status: Any, now: dt.datetime) -> tuple[str, Signal]:
    """(dedupe key, signal) for one status; InvalidInput (or ValueError) when it is unusable.

    The key is the status's URI (the same post seen through two instances or two queries is one
    signal), else its id. Author kind "bot" or "person" from `account.bot`; reach is the
    account's followers. The area is left to the normaliser (place names in the text)."""
    if not isinstance(status, dict):
        raise InvalidInput("a status is not an object")
    content = status.get("content")
    warning = status.get("spoiler_text")
    text = plain_text(" ".join(part for part in (warning, content) if isinstance(part, str)))
    if not text:
        raise InvalidInput("a status without text")
    uri = status.get("uri")
    key = uri if isinstance(uri, str) and 0 < len(uri) <= 500 else f"id:{status_id(status)}"
    if key == "id:":
        raise InvalidInput("a status without uri or id")
    nested = status.get("account")
    account: dict[str, Any] = nested if isinstance(nested, dict) else {}
    followers = account.get("followers_count")
    language = status.get("language")
    lang = language.lower() if isinstance(language, str) and re.fullmatch(r"[a-zA-Z]{2,3}", language) else ""
    record = {"source": SOURCE, "time": _time(status.get("created_at"), now), "text": text,
              "url": _url(status), "lang": lang,
              "author_kind": "bot" if account.get("bot") is True else "person",
              "reach": followers if isinstance(followers, int) and not isinstance(followers, bool)
              and followers >= 0 else None}
    return key, signal_from_record(record, now=now)
