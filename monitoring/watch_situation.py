"""The watch's section of /api/situation and of the situation page: intake, trends, spikes,
rumours (with their matches per source and area), the questions without an answer ranked by
growth, sentiment per source, signals per département over the last hour, feeds, poll trends
(each share with its 95 % margin) and the latest signals."""

from __future__ import annotations

import time
from typing import Any, Final

import msgspec
import redis.asyncio as aioredis

from crisis.areas import DEPARTEMENTS
from knowledge_base import KnowledgeBase
from monitoring.detection import WINDOW_S, read_windows, trends_of
from monitoring.feeds import Feeds
from monitoring.intake import intake_figures
from monitoring.keys import WatchKeys
from monitoring.mastodon_state import mastodon_health
from monitoring.normalise import NormalisedSignal
from monitoring.polls import Polls, poll_trends
from monitoring.term_store import stored_trending
from monitoring.rumour_figures import rumour_figures, unanswered_by_growth

TOP_TRENDS: Final = 15
LATEST_SHOWN: Final = 10
SENTIMENTS: Final = ("negative", "neutral", "positive")


HOUR_WINDOWS: Final = 3600 // WINDOW_S


def signals_per_area(windows: list[dict[str, int]]) -> list[dict[str, Any]]:
    """Signals per département in the last hour (the last HOUR_WINDOWS windows), most first;
    only the codes of crisis.areas (a stray counter is not a département)."""
    totals: dict[str, int] = {}
    for counts in windows[-HOUR_WINDOWS:]:
        for field, count in counts.items():
            kind, _, code = field.partition(":")
            if kind == "area" and code in DEPARTEMENTS:
                totals[code] = totals.get(code, 0) + int(count)
    return [{"code": code, "name": DEPARTEMENTS[code], "signals": n}
            for code, n in sorted(totals.items(), key=lambda a: (-a[1], a[0])) if n > 0]


def sentiment_by_source(totals: dict[str, int]) -> list[dict[str, Any]]:
    sources: dict[str, dict[str, int]] = {}
    for field, count in totals.items():
        kind, _, rest = field.partition(":")
        if kind == "sentiment":
            source, _, label = rest.partition(":")
            sources.setdefault(source, dict.fromkeys(SENTIMENTS, 0))[label] = count
    return [{"source": source, **counts, "total": sum(counts.values())}
            for source, counts in sorted(sources.items())]


async def watch_section(redis: aioredis.Redis, keys: WatchKeys, *,
                        kb: KnowledgeBase | None = None,
                        now_s: float | None = None) -> dict[str, Any]:
    now_s = time.time() if now_s is None else now_s
    intake = await intake_figures(redis, keys)
    windows = await read_windows(redis, keys, now_s=now_s)
    trends = trends_of(windows)
    rumours = await rumour_figures(redis, keys, windows=windows)
    latest = [msgspec.json.decode(raw, type=NormalisedSignal)
              for raw in await redis.lrange(keys.latest, 0, LATEST_SHOWN - 1)]
    return {
        "window_s": WINDOW_S,
        "intake": {k: v for k, v in intake.items() if k != "totals"},
        "trends": [t.as_json() for t in trends if t.kind != "rumour"][:TOP_TRENDS],
        "spikes": [t.as_json() for t in trends if t.spike and t.kind != "rumour"],
        "rumours": rumours,
        "unanswered": await unanswered_by_growth(kb, now_s=now_s) if kb is not None else [],
        "terms": await stored_trending(redis, keys),
        "sentiment": sentiment_by_source(intake["totals"]),
        "areas": signals_per_area(windows),
        "feeds": await Feeds(redis, keys).listing(),
        "mastodon": await mastodon_health(redis, keys),
        "polls": poll_trends(await Polls(redis, keys).all()),
        "latest": [{"source": s.source, "time": s.time, "text": s.text[:280], "url": s.url,
                    "lang": s.lang, "area": s.area, "sentiment": s.sentiment,
                    "keywords": list(s.keywords), "rumours": list(s.rumours)} for s in latest],
    }
