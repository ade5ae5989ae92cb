"""What the cell tunes while a crisis runs: the synonym table and the auto-answer thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import msgspec

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput
from crisis.events import make_event
from crisis.types import ChannelKind, EventType, Principal, Role
from knowledge_base.answer import DEFAULT_THRESHOLD
from knowledge_base.store import ArticleStore
from knowledge_base.synonyms import DEFAULT_SYNONYMS, SynonymTable, merge
from knowledge_base.text import fold

# "default" applies to any channel without its own value; "api" is /api/kb/answer's default.
CHANNELS: tuple[str, ...] = ("default", *(k.value for k in ChannelKind), "api")
MAX_SYNONYMS = 2_000
# A threshold under this would answer almost anything: a wrong answer in a crisis is worse
# than a short wait, so the cell cannot set one that low by mistake.
MIN_THRESHOLD = 0.5


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel[:30]!r}; channels: {', '.join(CHANNELS)}")
    return channel


def _check_entry(key: str, value: str) -> None:
    if not key or len(key) > 50 or fold(key) != key or len(key.split()) > 3:
        raise InvalidInput(f"synonym {key[:50]!r}: write one to three words in lowercase without "
                           "accents or punctuation (e.g. 'flotte', 'cat nat', 'coup de main')")
    if len(value) > 200 or fold(value) != value.strip():
        raise InvalidInput(f"synonym {key!r}: the replacement must be lowercase words without "
                           "accents or punctuation, at most 200 characters ('' removes a default entry)")


async def custom_synonyms(store: ArticleStore) -> dict[str, str]:
    """The cell's edits: word -> replacement, '' for a default entry it removed."""
    return cast(dict[str, str], await store.redis.hgetall(store.keys.synonyms))


async def synonym_table(store: ArticleStore) -> SynonymTable:
    """The defaults merged with the cell's edits (what the search index uses)."""
    return merge(DEFAULT_SYNONYMS, await custom_synonyms(store))


async def replace_synonyms(store: ArticleStore, custom: Mapping[str, str], *,
                           actor: Principal) -> SynonymTable:
    """Replace the cell's edits; every index rebuilds with the new table within a second."""
    require_role(actor, Role.CELL, "edit synonyms")
    if len(custom) > MAX_SYNONYMS:
        raise InvalidInput(f"at most {MAX_SYNONYMS} custom synonyms")
    for key, value in custom.items():
        _check_entry(key, value)
    before = await custom_synonyms(store)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.delete(store.keys.synonyms)
        if custom:
            pipe.hset(store.keys.synonyms, mapping={k: v for k, v in custom.items()})
        pipe.incr(store.keys.generation)
        add_audit(pipe, store.core, audit_entry(actor, "kb.synonyms.replace", "kb:synonyms",
                                                before=f"{len(before)} custom", after=f"{len(custom)} custom"))
        store.bus.add_to(pipe, make_event(EventType.KB_SYNONYMS_CHANGED, actor=actor.label(), subject="kb",
                                          custom=len(custom)))
        await pipe.execute()
    return merge(DEFAULT_SYNONYMS, custom)


async def thresholds(store: ArticleStore) -> dict[str, float]:
    """The auto-answer threshold of every channel (its own, else the default one)."""
    stored = {k: float(v) for k, v in (await store.redis.hgetall(store.keys.thresholds)).items()}
    default = stored.get("default", DEFAULT_THRESHOLD)
    return {channel: stored.get(channel, default) for channel in CHANNELS}


async def threshold_for(store: ArticleStore, channel: str) -> float:
    return (await thresholds(store))[check_channel(channel)]


async def set_threshold(store: ArticleStore, channel: str, value: float, *, actor: Principal) -> float:
    """Set one channel's threshold (cell only), between MIN_THRESHOLD and 1."""
    require_role(actor, Role.CELL, "change auto-answer thresholds")
    check_channel(channel)
    if not MIN_THRESHOLD <= value <= 1.0:
        raise InvalidInput(f"a threshold is between {MIN_THRESHOLD} and 1, not {value}")
    before = (await thresholds(store))[channel]
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hset(store.keys.thresholds, channel, msgspec.json.encode(value))
        add_audit(pipe, store.core, audit_entry(actor, "kb.threshold.set", channel,
                                                before=str(before), after=str(value)))
        store.bus.add_to(pipe, make_event(EventType.KB_THRESHOLD_CHANGED, actor=actor.label(),
                                          subject=channel, threshold=value))
        await pipe.execute()
    return value
