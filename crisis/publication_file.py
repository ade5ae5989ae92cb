"""Publication documents: Markdown with a YAML front matter, parsed and checked (pure).

    ---
    title: Restez chez vous
    crisis: inondation-20261125-1
    area: [75, 92]
    priority: urgent
    lang: fr
    ---
    Body in Markdown...

Anything a reader could be harmed by (scripts, frames, javascript: links) is refused with a
message; other raw HTML is escaped when the site renders it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import msgspec

from crisis.errors import InvalidInput, TooLarge
from crisis.types import LANGS, Priority

MAX_TITLE = 200
MAX_BODY = 50_000
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
FORBIDDEN_MARKUP = re.compile(r"<\s*(script|iframe|object|embed|style)\b|javascript\s*:", re.I)
KNOWN_KEYS = frozenset({"id", "title", "crisis", "area", "areas", "priority", "lang", "easy_read",
                        "push", "sms"})
MAX_SMS = 480  # three SMS segments at most; the alert itself keeps to one where it can


class PublicationDraft(msgspec.Struct, frozen=True, kw_only=True):
    """What a drafter provides; the store adds status, version and provenance."""

    id: str
    title: str
    body: str
    lang: str = "fr"
    priority: Priority = Priority.NORMAL
    crisis_id: str | None = None
    areas: tuple[str, ...] = ()
    easy_read: str = ""
    push: bool = False  # broadcast to the alert subscribers of its areas when published
    sms: str = ""  # the essential sentence, for SMS, Telegram and push alerts


def slugify(text: str, limit: int = 80) -> str:
    """An ASCII slug (accents folded, everything else to '-'), safe as a file name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def check_slug(value: str, what: str = "id") -> str:
    """Refuse anything but a plain ASCII slug: no '../', no look-alike unicode letters."""
    if not SLUG_PATTERN.match(value):
        raise InvalidInput(
            f"{what} {value[:90]!r} is not allowed: use 1-80 lowercase ASCII letters, digits and '-'"
        )
    return value


def check_text(text: str, *, limit: int, what: str) -> str:
    """Bound the size and refuse active content, with a message that says what to change."""
    if len(text) > limit:
        raise TooLarge(f"{what} is too long: {len(text)} characters, at most {limit}")
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character")
    match = FORBIDDEN_MARKUP.search(text)
    if match:
        raise InvalidInput(
            f"{what} contains {match.group(0)!r}: scripts, frames and javascript: links "
            "are not allowed in a publication"
        )
    return text


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        raise InvalidInput("a publication starts with a front matter block between '---' lines")
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.M)
    if len(parts) < 3:
        raise InvalidInput("the front matter is not closed: add a '---' line after it")
    import yaml  # here, not at the top: only reading a publication file needs it

    try:
        # libyaml's safe loader when the wheel has it: the same safe types, ten times faster,
        # and it refuses nesting past its depth limit at once where the pure-Python parser
        # recurses for a second before RecursionError.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        meta = yaml.load(parts[1], Loader=loader) or {}  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        raise InvalidInput(f"the front matter is not valid YAML: {err}") from None
    except RecursionError:  # "[[[[..." thousands deep: the parser recurses once per level
        raise InvalidInput("the front matter is nested too deeply: use 'key: value' lines") from None
    if not isinstance(meta, dict):
        raise InvalidInput("the front matter must be 'key: value' lines")
    return meta, parts[2].strip("\n")


# What a front matter value may be. A list or mapping where a word is expected is refused
# before anything turns it into text: YAML aliases nest lists inside lists, and a 300-byte
# document can stand for a title of hundreds of millions of characters.
_SCALARS = (str, int, float, bool, dt.date)


def _scalar(meta: dict[Any, Any], key: str, default: str = "") -> str:
    value = meta.get(key, default)
    if value is None:
        return default
    if not isinstance(value, _SCALARS):
        raise InvalidInput(f"'{key}' must be a single value, not a list or a mapping")
    return str(value)


def _areas(value: Any) -> tuple[str, ...]:
    # YAML reads `area: 01` as the number 1: departement codes are padded back to 2 digits.
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, _SCALARS) for item in items):
        raise InvalidInput("'area' is a departement code or a list of codes, e.g. [75, 92]")
    if not isinstance(value, list):
        items = str(value).split(",")
    codes = []
    for item in items:
        code = f"{item:02d}" if isinstance(item, int) else str(item).strip()
        if code:
            codes.append(code)
    return tuple(codes)


def parse_publication(text: str) -> PublicationDraft:
    """Parse a publication document; InvalidInput lists what is wrong."""
    meta, body = _split_front_matter(text)
    unknown = sorted(set(map(str, meta)) - KNOWN_KEYS)
    if unknown:
        raise InvalidInput(f"unknown front matter key(s): {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(KNOWN_KEYS))}")
    title = _scalar(meta, "title").strip()
    if not title:
        raise InvalidInput("the front matter needs a title")
    lang = _scalar(meta, "lang", "fr")
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang[:20]!r}; supported: {', '.join(LANGS)}")
    try:
        priority = Priority(_scalar(meta, "priority", "normal"))
    except ValueError:
        raise InvalidInput("priority must be urgent, high or normal") from None
    if not body.strip():
        raise InvalidInput("the publication has no body text")
    pub_id = check_slug(_scalar(meta, "id")) if "id" in meta else slugify(title)
    if not pub_id:
        raise InvalidInput("cannot make an id from this title; add an 'id:' to the front matter")
    crisis_id = _scalar(meta, "crisis")
    return PublicationDraft(
        id=pub_id,
        title=check_text(title, limit=MAX_TITLE, what="title"),
        body=check_text(body, limit=MAX_BODY, what="body"),
        lang=lang, priority=priority,
        crisis_id=check_slug(str(crisis_id), "crisis") if crisis_id else None,
        areas=_areas(meta.get("area", meta.get("areas", ""))),
        easy_read=check_text(_scalar(meta, "easy_read"), limit=MAX_BODY, what="easy_read"),
        push=_flag(meta, "push"),
        sms=check_text(_scalar(meta, "sms").strip(), limit=MAX_SMS, what="sms"),
    )


def _flag(meta: dict[Any, Any], key: str) -> bool:
    value = meta.get(key, False)
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("yes", "true", "1", "oui"):
        return True
    if str(value).strip().lower() in ("no", "false", "0", "non", ""):
        return False
    raise InvalidInput(f"'{key}' must be true or false")
