"""The "point de situation": the cell's briefing report for a period, built from the live
situation's figures (crises, contact centre, knowledge base, the watch), the signals counted
in the period, the polls and the publications of the period; archived in Redis.

The report is data (a JSON-ready dict): rendered as Markdown or HTML by
monitoring/report_render.py, kept as data so an archived report is shown again exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Final

import redis.asyncio as aioredis

from crisis.areas import DEPARTEMENTS
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import utcnow
from crisis.web.situation_api import situation_body
from monitoring.detection import WINDOW_S, window_of
from monitoring.keys import WatchKeys
from monitoring.polls import Polls, PollResult, poll_trends

DEFAULT_PERIOD: Final = dt.timedelta(hours=24)
MAX_WINDOWS: Final = 2 * 24 * 3600 // WINDOW_S  # the window counters are kept 2 days
ARCHIVE_KEPT: Final = 200
REPORT_TTL_S: Final = 180 * 24 * 3600
TOP_SHOWN: Final = 10


def period_of(start: dt.datetime | None, end: dt.datetime | None,
              now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The report's period: by default the last 24 hours; InvalidInput when it is reversed."""
    end = end or now or utcnow()
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidInput(f"the period is empty: --from {start:%Y-%m-%dT%H:%M}Z is not "
                           f"before --to {end:%Y-%m-%dT%H:%M}Z")
    return start, end


async def _period_windows(redis: aioredis.Redis, keys: WatchKeys, start: dt.datetime,
                          end: dt.datetime) -> list[dict[str, int]]:
    """The counters of the period's 5-minute windows (the last 2 days at most)."""
    last = window_of(end.timestamp() - 1e-6)
    first = max(window_of(start.timestamp()), last - MAX_WINDOWS + 1)
    async with redis.pipeline(transaction=False) as pipe:
        for window in range(first, last + 1):
            pipe.hgetall(keys.counts(str(window)))
        windows = await pipe.execute()
    return [{(f.decode() if isinstance(f, bytes) else str(f)): int(v) for f, v in counts.items()}
            for counts in windows]


async def signals_in_period(redis: aioredis.Redis, keys: WatchKeys, start: dt.datetime,
                            end: dt.datetime) -> dict[str, int]:
    """Signals counted in the 5-minute windows of the period (the last 2 days at most): all,
    and per source."""
    totals: dict[str, int] = {"all": 0}
    for counts in await _period_windows(redis, keys, start, end):
        for name, value in counts.items():
            if name == "all:all":
                totals["all"] += value
            elif name.startswith("source:"):
                totals[name] = totals.get(name, 0) + value
    return totals


async def areas_in_period(redis: aioredis.Redis, keys: WatchKeys, start: dt.datetime,
                          end: dt.datetime) -> dict[str, int]:
    """Signals per département (its code) in the period's windows: the report's map."""
    totals: dict[str, int] = {}
    for counts in await _period_windows(redis, keys, start, end):
        for name, value in counts.items():
            kind, _, code = name.partition(":")
            if kind == "area" and code in DEPARTEMENTS and value > 0:
                totals[code] = totals.get(code, 0) + value
    return totals


def polls_until(results: Sequence[PollResult], end: dt.datetime) -> list[dict[str, Any]]:
    """Per question and answer, the latest poll up to the period's end, the one before, and
    whether the change exceeds the two polls' combined margin (else: "within the margin")."""
    by_answer: dict[tuple[str, str], list[PollResult]] = {}
    for result in results:
        if result.date <= end.date():
            by_answer.setdefault((result.question, result.answer), []).append(result)
    questions: dict[str, list[dict[str, Any]]] = {}
    for (question, answer), points in sorted(by_answer.items()):
        points.sort(key=lambda r: (r.date, r.institute))
        last = points[-1]
        row: dict[str, Any] = {"answer": answer, "date": last.date.isoformat(),
                               "institute": last.institute,
                               "share_pct": round(last.share * 100, 1),
                               "margin_pct": round(last.margin * 100, 1),
                               "change_pct": None, "significant": False}
        if len(points) > 1:
            before = points[-2]
            change = last.share - before.share
            row["change_pct"] = round(change * 100, 1)
            row["significant"] = abs(change) > math.hypot(last.margin, before.margin)
        questions.setdefault(question, []).append(row)
    return [{"question": q, "answers": rows} for q, rows in questions.items()]


def _section(body: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    section = body.get(name)
    return section if isinstance(section, Mapping) and "error" not in section else None


def contact_summary(section: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if section is None:
        return None
    channels = {kind: {"contacts": int(f.get("contacts", 0)),
                       "auto_answered": int(f.get("auto_answered", 0)),
                       "abandoned": int(f.get("abandoned", 0))}
                for kind, f in dict(section.get("channels", {})).items()}
    return {"channels": channels,
            "total": sum(c["contacts"] for c in channels.values()),
            "abandoned": sum(c["abandoned"] for c in channels.values()),
            "auto_answered": sum(c["auto_answered"] for c in channels.values()),
            "queue_length": int(dict(section.get("queue", {})).get("length", 0)),
            "estimated_wait_s": float(section.get("estimated_wait_s", 0) or 0),
            "operators_signed_in": int(section.get("operators_signed_in", 0) or 0)}


def watch_summary(section: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if section is None:
        return None
    terms = dict(section.get("terms") or {}).get("trending", [])
    return {"spikes": [{"kind": s["kind"], "value": s["value"], "count": s["count"],
                        "baseline": s["baseline"]} for s in section.get("spikes", [])],
            "rumours": [{"claim": r["claim"], "count": r["count"], "rising": r["rising"]}
                        for r in section.get("rumours", [])],
            "terms": [{"term": t["term"], "scope": t["scope"], "count": t["count"],
                       "ratio": t["ratio"]} for t in list(terms)[:TOP_SHOWN]],
            "sentiment": list(section.get("sentiment", []))}


async def build_report(ctx: Context, start: dt.datetime, end: dt.datetime, *, by: str,
                       body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of [start, end): the live figures now (`body`, else read from the
    situation's sections registered on `ctx`), signals, polls and publications of the period."""
    body = body if body is not None else await situation_body(ctx)
    keys = WatchKeys(ctx.keys)
    at = utcnow()
    kb = _section(body, "knowledge_base")
    polls = await Polls(ctx.redis, keys).all()
    publications = [p for p in await ctx.publications.list()
                    if p.published_at is not None and start <= p.published_at < end]
    return {
        "id": f"{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}", "at": at.isoformat(),
        "from": start.isoformat(), "to": end.isoformat(), "by": by,
        "timezone": ctx.settings.timezone,  # its times are read in the centre's zone
        "crises": [{"title": c["title"], "level": c["level"], "state": str(c["state"]),
                    "areas": list(c["areas"])} for c in body.get("crises", [])],
        "contact": contact_summary(_section(body, "contact_centre")),
        "kb": None if kb is None else {
            "automatic_share": kb.get("automatic_share"),
            "unanswered": int(kb.get("unanswered_questions", 0) or 0)},
        "signals": await signals_in_period(ctx.redis, keys, start, end),
        "watch": watch_summary(_section(body, "watch")),
        "areas": await areas_in_period(ctx.redis, keys, start, end),
        "polls": polls_until(polls, end),
        # Each question's polls up to the period's end, for its chart (error bars included).
        "poll_trends": poll_trends([r for r in polls if r.date <= end.date()]),
        "publications": [{"id": p.id, "title": p.title, "status": str(p.status),
                          "published_at": p.published_at.isoformat() if p.published_at else "",
                          "withdrawn": p.withdrawn_at is not None}
                         for p in sorted(publications, key=lambda p: p.published_at or at)],
    }


class ReportArchive:
    """Reports produced from the cell's page: newest first, the last ARCHIVE_KEPT listed,
    each kept REPORT_TTL_S (180 days)."""

    def __init__(self, redis: aioredis.Redis, keys: WatchKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def put(self, report: Mapping[str, Any]) -> None:
        entry = json.dumps({k: report[k] for k in ("id", "at", "from", "to", "by", "timezone")
                            if k in report})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.report(report["id"]), json.dumps(report, ensure_ascii=False),
                     ex=REPORT_TTL_S)
            pipe.lpush(self.keys.reports, entry)
            pipe.ltrim(self.keys.reports, 0, ARCHIVE_KEPT - 1)
            await pipe.execute()

    async def listing(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in await self.redis.lrange(self.keys.reports, 0, -1)]

    async def get(self, report_id: str) -> dict[str, Any]:
        raw = await self.redis.get(self.keys.report(report_id))
        if raw is None:
            raise NotFound(f"no situation report {report_id!r} (kept 180 days)")
        report: dict[str, Any] = json.loads(raw)
        return report
