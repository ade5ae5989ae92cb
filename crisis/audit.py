"""The audit trail: every write through the API or the CLI, in one Redis Stream."""

from __future__ import annotations

from typing import cast

import msgspec
import redis.asyncio as aioredis

from crisis.keys import Keys
from crisis.types import AuditEntry, Principal, utcnow

AUDIT_MAXLEN = 1_000_000

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(AuditEntry)


def audit_entry(
    actor: Principal, action: str, target: str,
    *, before: str | None = None, after: str | None = None,
) -> AuditEntry:
    """An entry stamped now; `before`/`after` name versions or states, not whole documents."""
    return AuditEntry(at=utcnow(), actor=actor.label(), action=action, target=target,
                      before=before, after=after)


def add_audit(pipe: aioredis.client.Pipeline, keys: Keys, entry: AuditEntry) -> None:
    """Queue the entry on a transaction pipeline, so it is written with the change it records."""
    pipe.xadd(keys.audit, {"entry": _encoder.encode(entry)}, maxlen=AUDIT_MAXLEN, approximate=True)


async def read_audit(redis: aioredis.Redis, keys: Keys, count: int = 100) -> list[AuditEntry]:
    """The latest entries, newest first."""
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrevrange(keys.audit, count=count))
    return [_decoder.decode(fields["entry"]) for _id, fields in entries]
