"""The audit trail: every write through the API or the CLI, and every sign-in, in one Redis Stream."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import msgspec
import redis.asyncio as aioredis

from crisis.errors import InvalidInput
from crisis.keys import Keys
from crisis.types import AuditEntry, Principal, utcnow

AUDIT_MAXLEN = 1_000_000
SIGN_IN = "login"
SIGN_IN_FAILED = "login.failed"
# How someone signed in: the HTML sign-in page, or POST /api/session (scripts, the UIs).
SIGN_IN_WAYS = ("session", "api")
_PAGE = 500
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_AGO = re.compile(r"^(\d{1,6})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AuditEntry)


def audit_entry(
    actor: Principal, action: str, target: str,
    *, before: str | None = None, after: str | None = None,
) -> AuditEntry:
    """An entry stamped now; `before`/`after` name versions or states, not whole documents."""
    return AuditEntry(at=utcnow(), actor=actor.label(), action=action, target=target,
                      before=before, after=after)


def printable(text: str, limit: int = 64) -> str:
    """A name someone typed, safe to store and to print on a terminal: control characters
    (escape sequences, newlines that would forge a line) become '?', and it is bounded."""
    return _UNPRINTABLE.sub("?", text[:limit])


def sign_in_entry(name: str, how: str, address: str | None, *, ok: bool, detail: str) -> AuditEntry:
    """A sign-in attempt: who (the name given, even unknown), how, from where, and the outcome
    (`detail`: the role on success, the reason on failure). Never the password."""
    shown = printable(name)
    return AuditEntry(at=utcnow(), actor=f"{how}:{shown}", action=SIGN_IN if ok else SIGN_IN_FAILED,
                      target=shown, after=detail, address=address)


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """A point in time: ISO 8601 (a date, or a date and time; UTC unless it has an offset),
    or a time ago such as 30m, 12h, 7d. InvalidInput says which forms are understood."""
    value = text.strip()
    if match := _AGO.match(value):
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or utcnow()) - dt.timedelta(**{unit: amount})
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"cannot read the time {text[:40]!r}: use ISO 8601 "
                           "(2026-12-02 or 2026-12-02T08:30) or a time ago (30m, 12h, 7d)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def add_audit(pipe: aioredis.client.Pipeline, keys: Keys, entry: AuditEntry) -> None:
    """Queue the entry on a transaction pipeline, so it is written with the change it records."""
    pipe.xadd(keys.audit, {"entry": _encoder.encode(entry)}, maxlen=AUDIT_MAXLEN, approximate=True)


async def write_audit(redis: aioredis.Redis, keys: Keys, entry: AuditEntry) -> None:
    """Write one entry that goes with no other change (a sign-in attempt)."""
    await redis.xadd(keys.audit, {"entry": _encoder.encode(entry)}, maxlen=AUDIT_MAXLEN,
                     approximate=True)


def _matches(entry: AuditEntry, actor: str | None) -> bool:
    # An actor is "via:name" (session:alice, token:grafana, cli:root): NAME matches any via.
    return actor is None or entry.actor == actor or entry.actor.split(":", 1)[-1] == actor


async def read_audit(redis: aioredis.Redis, keys: Keys, count: int = 100, *,
                     since: dt.datetime | None = None, actor: str | None = None
                     ) -> list[AuditEntry]:
    """The latest `count` entries, newest first; only those at or after `since`, and only
    those of `actor` (a name, or a whole label such as session:alice) when given.

    Reads the stream backwards in pages, so a filter over a long trail stays bounded in memory.
    """
    low = "-" if since is None else f"{int(since.timestamp() * 1000)}-0"
    high = "+"
    found: list[AuditEntry] = []
    while len(found) < count:
        page = cast(list[tuple[str, dict[str, str]]],
                    await redis.xrevrange(keys.audit, max=high, min=low, count=_PAGE))
        for _id, fields in page:
            entry = _decoder.decode(fields["entry"])
            if _matches(entry, actor):
                found.append(entry)
                if len(found) == count:
                    break
        if len(page) < _PAGE:
            break
        high = f"({page[-1][0]}"
    return found
