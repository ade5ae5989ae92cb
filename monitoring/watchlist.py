"""What a signal is matched against: the live crises' watch keywords and the cell's rumour
watchlist (claims, each with variants, in one Redis hash the cell edits through the API).

Matching is on stems (monitoring/text_terms.py), so "inondations" matches the keyword
"inondation": a keyword matches when its stems appear in a row in the signal; a claim when all
the stems of one of its variants appear anywhere in the signal ("le barrage va céder" matches
"on dit que le barrage risque de céder cette nuit"). A signal that says a claim in other words
is grouped under it too (monitoring/claim_grouping.py: the knowledge base's similarity).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence

import msgspec
import redis.asyncio as aioredis

from crisis.errors import InvalidInput, NotFound
from monitoring.claim_grouping import ClaimGrouping
from monitoring.keys import WatchKeys
from monitoring.text_terms import fold, terms

MAX_CLAIMS = 200
MAX_VARIANTS = 20
MAX_CLAIM_CHARS = 200
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """A rumour the cell watches for: its wording and other ways people say it."""

    id: str
    claim: str
    variants: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Watchlist:
    """Keywords and claims as stems, ready to match many signals."""

    keywords: tuple[tuple[str, str], ...]  # (keyword, " stem stem ")
    claims: tuple[tuple[str, tuple[frozenset[str], ...]], ...]  # (claim id, variants' stems)
    grouping: ClaimGrouping | None = None  # near-duplicates; None: exact variants only

    @classmethod
    def build(cls, keywords: Iterable[str], claims: Iterable[Claim], *,
              near: bool = True) -> Watchlist:
        claims = list(claims)
        words = tuple((k, f" {' '.join(terms(k))} ") for k in sorted(set(keywords)) if terms(k))
        rumours = tuple((c.id, tuple(frozenset(terms(v)) for v in (c.claim, *c.variants)
                                     if terms(v))) for c in claims)
        grouping = ClaimGrouping.build((c.id, (c.claim, *c.variants)) for c in claims) \
            if near and claims else None
        return cls(words, rumours, grouping)

    def keywords_in(self, stems: Sequence[str]) -> list[str]:
        joined = f" {' '.join(stems)} "
        return [keyword for keyword, pattern in self.keywords if pattern in joined]

    def claims_in(self, stems: Sequence[str], words: Sequence[str] | None = None) -> list[str]:
        """Claims said in the signal: every stem of a variant in it, or (given its folded
        content `words`) a near-duplicate of one."""
        present = set(stems)
        exact = [claim_id for claim_id, variants in self.claims
                 if any(variant <= present for variant in variants)]
        if self.grouping is None or words is None:
            return exact
        near = self.grouping.near_claims(stems, words, skip=exact)
        if not near:
            return exact
        order = {claim_id: n for n, (claim_id, _) in enumerate(self.claims)}
        return sorted([*exact, *near], key=order.__getitem__)


def claim_id_for(text: str) -> str:
    return "-".join(fold(text).split()[:6])[:48] or "claim"


def check_claim(record: object) -> Claim:
    """A claim from the API's JSON body; InvalidInput says what is wrong."""
    if not isinstance(record, dict):
        raise InvalidInput("a claim is a JSON object: {\"claim\": \"...\", \"variants\": [...]}")
    claim = record.get("claim")
    variants = record.get("variants", [])
    if not isinstance(claim, str) or not claim.strip() or len(claim) > MAX_CLAIM_CHARS:
        raise InvalidInput(f"'claim' must be a text of 1 to {MAX_CLAIM_CHARS} characters")
    if not isinstance(variants, list) or len(variants) > MAX_VARIANTS or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= MAX_CLAIM_CHARS for v in variants):
        raise InvalidInput(f"'variants' must be a list of at most {MAX_VARIANTS} short texts")
    if not terms(claim):
        raise InvalidInput("the claim has no content word to look for")
    claim_id = str(record.get("id") or claim_id_for(claim))
    if not _ID.fullmatch(claim_id):
        raise InvalidInput("'id' must be lower-case letters, digits and dashes")
    return Claim(id=claim_id, claim=claim.strip(), variants=tuple(v.strip() for v in variants))


class Rumours:
    """The cell's rumour watchlist in Redis."""

    def __init__(self, redis: aioredis.Redis, keys: WatchKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def all(self) -> list[Claim]:
        raws = await self.redis.hvals(self.keys.rumours)
        return sorted((msgspec.json.decode(r, type=Claim) for r in raws), key=lambda c: c.id)

    async def put(self, claim: Claim) -> None:
        if (not await self.redis.hexists(self.keys.rumours, claim.id)
                and await self.redis.hlen(self.keys.rumours) >= MAX_CLAIMS):
            raise InvalidInput(f"the watchlist holds {MAX_CLAIMS} claims at most; remove one first")
        await self.redis.hset(self.keys.rumours, claim.id, msgspec.json.encode(claim))

    async def remove(self, claim_id: str) -> None:
        if not await self.redis.hdel(self.keys.rumours, claim_id):
            raise NotFound(f"no claim {claim_id!r} in the watchlist")


def keywords_from_hash(raws: Iterable[str | bytes]) -> set[str]:
    """Every keyword in watch:keywords values (JSON lists, one per live crisis)."""
    return {str(word) for raw in raws for word in json.loads(raw)}
