"""The record of every official statement: who drafted, who validated, when, what text, and
where it went; tamper-evident.

Every change of a publication appends one entry to the `statements` stream (never trimmed),
in the same transaction as the change itself. An entry names the publication, its version and
state, who acted and when, the SHA-256 of the text (title, body, easy-read version, areas) and
the channels it went out on (`site` once published; the alerts will add theirs). Entries of
one publication are chained: each carries the hash of the one before, so an entry altered or
removed afterwards shows (`verify_statements`, `crisis publications ledger --verify`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis.asyncio as aioredis

from crisis.keys import Keys
from crisis.types import Principal, Publication, PublicationStatus

# The site shows a publication from the moment it is published until it is withdrawn.
_CHANNELS = {PublicationStatus.PUBLISHED: ["site"], PublicationStatus.ARCHIVED: ["site"]}
GENESIS = "0" * 64


def text_digest(publication: Publication) -> str:
    text = json.dumps([publication.title, publication.body, publication.easy_read,
                       list(publication.areas), publication.lang], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _chain(fields: dict[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in fields.items() if k != "hash"}, sort_keys=True,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def statement_entry(publication: Publication, action: str, actor: Principal,
                    previous: str | None) -> tuple[dict[str, str], str]:
    """The ledger entry of one change (as stream fields), chained to the publication's previous
    entry, and its hash (the publication's new head)."""
    fields: dict[str, Any] = {
        "publication": publication.id, "version": publication.version, "action": action,
        "status": publication.status.value, "actor": actor.label(),
        "at": publication.updated_at.isoformat(), "text_sha256": text_digest(publication),
        "channels": _CHANNELS.get(publication.status, []), "prev": previous or GENESIS}
    fields["hash"] = _chain(fields)
    return {"entry": json.dumps(fields, ensure_ascii=False)}, fields["hash"]


async def read_statements(redis: aioredis.Redis, keys: Keys,
                          publication_id: str | None = None) -> list[dict[str, Any]]:
    entries = []
    for _, raw in await redis.xrange(keys.statements) or []:
        fields = {_text(k): v for k, v in (raw or {}).items()}
        entry = json.loads(_text(fields.get("entry")) or "{}")
        if publication_id is None or entry["publication"] == publication_id:
            entries.append(entry)
    return entries


async def verify_statements(redis: aioredis.Redis, keys: Keys) -> list[str]:
    """What does not hold in the ledger (empty when every chain is whole and matches its head)."""
    problems: list[str] = []
    last: dict[str, str] = {}
    for entry in await read_statements(redis, keys):
        publication = entry["publication"]
        if entry["hash"] != _chain(entry):
            problems.append(f"{publication} v{entry['version']}: entry altered")
        if entry["prev"] != last.get(publication, GENESIS):
            problems.append(f"{publication} v{entry['version']}: an entry before it is missing")
        last[publication] = entry["hash"]
    for publication, head in last.items():
        stored = await redis.get(keys.statement_head(publication))
        if stored is not None and _text(stored) != head:
            problems.append(f"{publication}: its latest entry is missing")
    return problems


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
