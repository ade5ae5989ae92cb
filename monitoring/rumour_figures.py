"""The rumours as the cell sees them: each claim of the watchlist with its matches in the
current 5-minute window against its baseline (rising or not), its series for a sparkline, and
its matches of the last hour per source and per area; the rising ones for the cell's banner;
and the knowledge base's missing answers ranked by growth (the questions citizens ask that
have no validated answer, this clock hour against the one before)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import redis.asyncio as aioredis

from knowledge_base import KnowledgeBase
from monitoring.contact_signals import anonymise
from monitoring.detection import (
    BASELINE_WINDOWS, MIN_RUMOUR_COUNT, RUMOUR_Z, read_windows, rumour_breakdown, score, window_of,
)
from monitoring.keys import WatchKeys
from monitoring.watchlist import Claim, Rumours

TOP_UNANSWERED: Final = 10


def claim_figures(claim: Claim, windows: Sequence[Mapping[str, int]]) -> dict[str, Any]:
    """One claim's figures over `windows` (oldest first, the current window last)."""
    series = [int(w.get(f"rumour:{claim.id}", 0)) for w in windows]
    mean, _z, rising = score(series, z_needed=RUMOUR_Z, min_count=MIN_RUMOUR_COUNT)
    breakdown = rumour_breakdown(windows, claim.id)
    return {"id": claim.id, "claim": claim.claim, "variants": list(claim.variants),
            "count": series[-1], "baseline": round(mean, 2), "rising": rising,
            "series": series, "hour_total": sum(series), **breakdown}


def ranked(rumours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rumours, key=lambda r: (not r["rising"], -int(r["count"]),
                                          -int(r["hour_total"]), str(r["id"])))


async def rumour_figures(redis: aioredis.Redis, keys: WatchKeys, *, now_s: float | None = None,
                         windows: Sequence[Mapping[str, int]] | None = None,
                         ) -> list[dict[str, Any]]:
    """Every claim's figures, rising first, then by matches now."""
    if windows is None:
        windows = await read_windows(redis, keys, now_s=now_s)
    return ranked([claim_figures(c, windows) for c in await Rumours(redis, keys).all()])


async def rising_rumours(redis: aioredis.Redis, keys: WatchKeys, *,
                         now_s: float | None = None) -> list[tuple[Claim, int]]:
    """The rising claims and their matches now, reading only the rumours' counters (this runs
    before every cell page, for the banner)."""
    claims = await Rumours(redis, keys).all()
    if not claims:
        return []
    current = window_of(time.time() if now_s is None else now_s)
    fields = [f"rumour:{c.id}" for c in claims]
    async with redis.pipeline(transaction=False) as pipe:
        for window in range(current - BASELINE_WINDOWS, current + 1):
            pipe.hmget(keys.counts(str(window)), fields)
        rows = await pipe.execute()
    out: list[tuple[Claim, int]] = []
    for n, claim in enumerate(claims):
        series = [int(row[n] or 0) for row in rows]
        if score(series, z_needed=RUMOUR_Z, min_count=MIN_RUMOUR_COUNT)[2]:
            out.append((claim, series[-1]))
    return sorted(out, key=lambda item: (-item[1], item[0].id))


async def unanswered_by_growth(kb: KnowledgeBase, *, now_s: float | None = None,
                               limit: int = TOP_UNANSWERED) -> list[dict[str, Any]]:
    """Missing answers asked in the last two clock hours, the fastest growing first (growth:
    asked this clock hour minus the hour before), their wordings anonymised."""
    now = dt.datetime.fromtimestamp(time.time() if now_s is None else now_s, dt.timezone.utc)
    clusters = [c for c in await kb.missing_answers(now=now) if c.last_hour or c.hour_before]
    clusters.sort(key=lambda c: (-c.growth, -c.last_hour, -c.count, c.key))
    # Citizens' own words leave the knowledge base here: masked as the contact signals are
    # (names, numbers, addresses), since the situation view goes on wall screens.
    return [{"question": anonymise(c.label), "lang": c.lang, "count": c.count,
             "last_hour": c.last_hour, "hour_before": c.hour_before, "growth": c.growth,
             "channels": c.channels, "questions": [anonymise(q) for q in c.questions[:3]],
             "answer_at": "/cell/kb#missing"} for c in clusters[:limit]]
