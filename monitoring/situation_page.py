"""The cell's live situation page (/cell/situation, the watch's view): the figures of
/api/situation, server-rendered for people under stress (crises, contacts per channel with a
bar chart, the queue, the knowledge base, the watch: trends with sparklines, rumours, the map
of signals per département, sentiment per source, feeds, poll trends, latest signals). The
charts are pygal's (monitoring/charts.py), each beside its table.

The figures come from the same function as the JSON route (no HTTP call to ourselves);
`?fragment=1` returns only the figures region; cell_situation.js swaps in the frames of the
live stream (monitoring/situation_stream.py), or polls that fragment when it cannot stream.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from markupsafe import Markup

from crisis.areas import DEPARTEMENTS
from crisis.types import ChannelKind, Role
from crisis.web.shell import (
    CELL, PageTemplates, add_page_assets, add_page_roles, clock_of, ctx_of, lang_of, require,
)
from crisis.i18n import duration, percent, translate
from crisis.web.situation_api import situation_body
from monitoring import charts
from monitoring.messages import MESSAGES, scope_label, watch_label
from monitoring.situation_stream import setup_situation_stream

PAGES = PageTemplates("monitoring", CELL, messages=MESSAGES)
page = PAGES.page


def t(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


def section_of(body: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """A package's section, or None when it failed or is not there (the page says "unavailable")."""
    section = body.get(name)
    if not isinstance(section, Mapping) or "error" in section:
        return None
    return section


def contact_view(section: Mapping[str, Any], lang: str = "fr") -> dict[str, Any]:
    """Rows per channel (in the channels' fixed order), totals, and their bar chart."""
    channels = section.get("channels", {})
    rows: list[dict[str, Any]] = []
    for kind in ChannelKind:
        figures = channels.get(kind.value, {})
        rows.append({"channel": kind.value, "contacts": int(figures.get("contacts", 0)),
                     "auto_answered": int(figures.get("auto_answered", 0)),
                     "abandoned": int(figures.get("abandoned", 0)),
                     "first_reply": duration(figures.get("mean_first_reply_s"))})
    queue = section.get("queue", {})
    return {"rows": rows, "total": sum(r["contacts"] for r in rows),
            "total_auto": sum(r["auto_answered"] for r in rows),
            "total_abandoned": sum(r["abandoned"] for r in rows),
            "chart": charts.bar_chart(
                "chart-contacts", t("sit.by_channel", lang),
                [(t(f"channel.{r['channel']}", lang), r["contacts"]) for r in rows]),
            "over_time": over_time_chart(section, lang),
            "queue_length": int(queue.get("length", 0)),
            "oldest_wait": duration(float(queue.get("oldest_wait_s", 0) or 0)),
            "estimated_wait": duration(float(section.get("estimated_wait_s", 0) or 0)),
            "capacity": int(section.get("available_capacity", 0))}


def over_time_chart(section: Mapping[str, Any], lang: str) -> Markup | None:
    """Contacts per channel in 15-minute slots over 12 hours (stacked bars), or None when
    the section has no series; `section["over_time"]["labels"]` are the slots' local times."""
    over_time = section.get("over_time")
    if not isinstance(over_time, Mapping) or not over_time.get("labels"):
        return None
    series = [(t(f"channel.{kind.value}", lang), list(over_time["channels"].get(kind.value, [])))
              for kind in ChannelKind]
    return charts.contacts_over_time("chart-contacts-time", t("sit.over_time", lang),
                                     over_time["labels"], series, lang)


def knowledge_view(section: Mapping[str, Any], lang: str = "fr") -> dict[str, Any]:
    """The automatic share as a percentage and the two answer counts as a split bar."""
    automatic = int(section.get("automatic_answers", 0))
    operator = int(section.get("operator_answers", 0))
    share = section.get("automatic_share")
    answered = automatic + operator
    return {"automatic": automatic, "operator": operator, "answered": answered,
            "share_pct": round(float(share) * 100) if share is not None else 0,
            "chart": charts.split_chart(
                "chart-answers", t("sit.answers_chart", lang),
                [(t("sit.automatic", lang), automatic), (t("sit.by_operator", lang), operator)]),
            "unanswered": int(section.get("unanswered_questions", 0)),
            "pending": int(section.get("pending_phrasings", 0)),
            "top": list(section.get("top_articles", []))}


TOP_MAP_AREAS = 10


def _label(trend: Mapping[str, Any], lang: str) -> str:
    return watch_label(str(trend.get("kind", "")), str(trend.get("value", "")), lang)


def watch_view(section: Mapping[str, Any], lang: str = "fr") -> dict[str, Any]:
    """The watch's figures with a sparkline per trend and rumour, the map of signals per
    département, a chart per poll question, and sentiment bar widths."""
    intake = section.get("intake", {})
    trends = [{**tr, "label": _label(tr, lang),
               "spark": charts.sparkline(f"spark-trend-{i}", str(tr.get("value", "")),
                                         list(tr.get("series", [])), lang)}
              for i, tr in enumerate(section.get("trends", []))]
    rumours = [{**r, "spark": charts.sparkline(f"spark-rumour-{i}", str(r.get("claim", "")),
                                               list(r.get("series", [])), lang)}
               for i, r in enumerate(section.get("rumours", []))]
    areas = [(str(a["code"]), int(a["signals"])) for a in section.get("areas", [])]
    most = max((n for _, n in areas), default=0)
    sentiment = []
    for row in section.get("sentiment", []):
        total = max(int(row.get("total", 0)), 1)
        sentiment.append({**row, "widths": {k: round(200 * int(row.get(k, 0)) / total)
                                            for k in ("negative", "neutral", "positive")}})
    return {"received": int(intake.get("received", 0)), "normalised": int(intake.get("normalised", 0)),
            "lag": duration(float(intake.get("lag_s", 0) or 0)), "length": int(intake.get("length", 0)),
            "trends": trends, "rumours": rumours,
            "spikes": [{**s, "label": _label(s, lang)} for s in section.get("spikes", [])],
            "unanswered": list(section.get("unanswered", [])),
            "terms": [{**tm, "scope_label": scope_label(str(tm.get("scope", "")), lang)}
                      for tm in dict(section.get("terms") or {}).get("trending", [])],
            "terms_warming": bool(dict(section.get("terms") or {}).get("warming_up", True)),
            "sentiment": sentiment, "feeds": list(section.get("feeds", [])),
            "mastodon": mastodon_view(section.get("mastodon")),
            "latest": list(section.get("latest", [])),
            "map": charts.departement_map("map-signals", t("map.title", lang), areas, lang),
            "map_top": charts.top_areas(areas, TOP_MAP_AREAS),
            "map_steps": charts.map_steps(most),
            "polls": [{**q, "chart": charts.poll_chart(f"poll-{i}-chart", q, lang)}
                      for i, q in enumerate(section.get("polls", []), start=1)]}


def mastodon_view(line: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The Mastodon source's line: its last read, and the rate limit's reset when it is
    paused, as times the page shows in its zone."""
    if not line:
        return None
    try:
        last = dt.datetime.fromisoformat(str(line.get("last_try", "")))
    except ValueError:
        last = None
    try:
        resume = dt.datetime.fromtimestamp(float(line.get("rate_reset") or ""), dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        resume = None
    return {**line, "last_try": last, "resume_at": resume}


TOP_AREAS = 5


def alerts_view(section: Mapping[str, Any]) -> dict[str, Any]:
    """Subscribers per channel, the most followed départements, the latest broadcasts."""
    totals = section.get("subscribers_per_channel", {})
    per_area = section.get("subscribers", {})
    areas = sorted(((f"{code} {DEPARTEMENTS.get(code, '')}".strip(),
                     sum(int(n) for n in channels.values()))
                    for code, channels in per_area.items()), key=lambda a: (-a[1], a[0]))
    broadcasts = []
    for item in section.get("broadcasts", [])[:3]:
        channels = item.get("channels", {}).values()
        broadcasts.append({"title": item.get("title", ""), "state": item.get("state", ""),
                           "sent": sum(int(c.get("sent", 0)) for c in channels),
                           "total": sum(int(c.get("total", 0)) for c in channels)})
    return {"channels": [(c, int(totals.get(c, 0))) for c in section.get("channels", totals)],
            "total": sum(int(v) for v in totals.values()), "areas": areas[:TOP_AREAS],
            "broadcasts": broadcasts}


def pulses_view(section: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """The latest pulse questions (channels' "pulses" section): per answer its share and
    95 % margin as people read them ("62,5 % ± 4,1"), and the response rate."""
    pulses = []
    for item in list(section.get("pulses", []))[:3]:
        answered = int(item.get("answers", 0))
        options = [{"number": o.get("number"), "option": o.get("option", ""),
                    "share": percent(o.get("share", 0), lang) if answered else "–",
                    "margin": f"± {percent(o['margin'], lang)}" if o.get("margin") is not None
                    else ""}
                   for o in item.get("options", [])]
        rate = item.get("response_rate")
        pulses.append({"id": item.get("id", ""), "question": item.get("question", ""),
                       "state": item.get("state", ""), "answers": answered,
                       "sent": int(item.get("sent", 0)),
                       "rate": percent(rate, lang), "options": options})
    return pulses


def chart_views(contact: Mapping[str, Any] | None, knowledge: Mapping[str, Any] | None,
                watch: Mapping[str, Any] | None, lang: str) -> dict[str, Any]:
    """The sections that carry charts, as the template reads them (None: unavailable)."""
    return {"contact": contact_view(contact, lang) if contact is not None else None,
            "kb": knowledge_view(knowledge, lang) if knowledge is not None else None,
            "watch": watch_view(watch, lang) if watch is not None else None}


async def figures_values(request: web.Request, body: Mapping[str, Any], cell: bool) -> dict[str, Any]:
    """The figures region's values for `body` (situation_body), in the request's language;
    `cell`: the reader may open the cell's pages (links to them)."""
    lang = lang_of(request)
    at: dt.datetime = body["at"]
    contact = section_of(body, "contact_centre")
    knowledge = section_of(body, "knowledge_base")
    watch = section_of(body, "watch")
    alerts = section_of(body, "alerts")
    pulses = section_of(body, "pulses")
    clock = clock_of(request, lang)
    if contact is not None and isinstance(contact.get("over_time"), Mapping):
        # The slots' start times in the centre's zone, for the chart's axis.
        over_time = contact["over_time"]
        contact = {**contact, "over_time": {**over_time, "labels": [
            clock(dt.datetime.fromtimestamp(start, dt.timezone.utc), "time")
            for start in over_time.get("starts", [])]}}
    # The charts are drawn here when their data changed (tens of ms for all of them, pure
    # Python): in a thread, so the event loop keeps serving the chats meanwhile.
    views = await asyncio.to_thread(chart_views, contact, knowledge, watch, lang)
    values = dict(
        crises=body["crises"], updated=clock(at, "seconds"),
        updated_iso=at.isoformat(timespec="seconds"), **views,
        alerts=alerts_view(alerts) if alerts is not None else None,
        pulses=pulses_view(pulses, lang) if pulses is not None else None,
        # Supervisors see this page too: the links to the cell's pages only for the cell.
        cell=cell, clock=clock)
    return values


async def figures_html(request: web.Request, body: Mapping[str, Any], cell: bool) -> str:
    """The figures region alone: the live stream's frames (the same as `?fragment=1`)."""
    return PAGES.render(request, "situation_figures.html",
                        **await figures_values(request, body, cell))


async def situation_page(request: web.Request) -> web.Response:
    """GET /cell/situation (cell and supervisors); `?fragment=1`: the figures region only."""
    principal = require(request, Role.SUPERVISOR)
    values = await figures_values(request, await situation_body(ctx_of(request)),
                                  principal.role.at_least(Role.CELL))
    template = "situation_figures.html" if request.query.get("fragment") == "1" else "situation.html"
    response = page(request, template, **values)
    # The charts' SVG (the map most) make the fragment ~100 KB, refetched every few seconds
    # by every wall screen that has no stream: gzip, when the browser accepts it, makes it
    # about five times less.
    response.enable_compression()
    return response


def setup_situation_page(app: web.Application) -> None:
    """The page, its script and stylesheet; supervisors may open it too (from the console)."""
    add_page_assets(app, "monitoring")
    app.router.add_get("/cell/situation", situation_page)
    add_page_roles(app, {"/cell/situation": Role.SUPERVISOR})
    setup_situation_stream(app, figures_html)  # the wall screens' live stream
