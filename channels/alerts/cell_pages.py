"""The cell's broadcasts page (/cell/broadcasts): the latest alert broadcasts with their
progress per channel, a way to stop one, and the subscribers per département and channel.

Server-rendered through the page shell, from the same functions as the JSON API
(`Broadcasts.progress`, `Subscriptions.counts`: no HTTP call to ourselves). `?fragment=1`
returns the broadcasts region alone, which cell_broadcasts.js swaps in every 2 s (the
situation page's mechanism); without the script the page works and "Actualiser" reloads it.
Stopping is two steps without a script: the button posts, the answer asks to confirm, the
confirmation posts again with `confirm=yes` (as the activation of a scenario does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from channels.alerts.broadcasts import CANCELLED, DONE, Broadcasts
from channels.alerts.cell_messages import MESSAGES
from channels.alerts.sending import channel_rates
from channels.alerts.subscriptions import ALERT_CHANNELS, Subscriptions
from crisis.areas import DEPARTEMENTS
from crisis.context import Context
from crisis.errors import CrisisError
from crisis.i18n import duration, translate
from crisis.types import Role
from crisis.web.shell import (
    CELL, PageTemplates, add_page_assets, add_page_roles, back, cell_user, clock_of, lang_of,
)

PATH = "/cell/broadcasts"


def grouped(n: int, lang: str) -> str:
    """A count as its readers write it: 12 430 (a narrow no-break space) or 12,430."""
    return f"{n:,}".replace(",", "\u202f" if lang != "en" else ",")


def reason_words(reason: str, lang: str) -> str:
    """Why sends failed, in `lang`; a reason this page does not know shows as is."""
    key = f"reason.{reason}"
    return translate(MESSAGES, key, lang) if key in MESSAGES else reason


def _when(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def broadcast_view(progress: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """What the page shows of one broadcast (`Broadcasts.progress`): its totals, one row per
    channel with its progress bar, its failures by reason, and whether it may be stopped."""
    rows = []
    for channel, figures in progress["channels"].items():
        handled = figures["sent"] + figures["failed"] + figures["unknown"]
        rows.append({"channel": channel, "handled": handled, "total": figures["total"],
                     "pct": round(100 * handled / figures["total"]) if figures["total"] else 100,
                     "recipients": grouped(figures["total"], lang),
                     **{k: grouped(figures[k], lang)
                        for k in ("sent", "failed", "unknown", "remaining")},
                     "failures": [(reason_words(r, lang), grouped(n, lang)) for r, n in
                                  sorted(figures["failures"].items(), key=lambda kv: -kv[1])]})
    total = sum(r["total"] for r in rows)
    handled = sum(r["handled"] for r in rows)
    running = progress["state"] not in (DONE, CANCELLED)
    page = "pulses" if progress.get("kind") == "pulse" else "publications"
    return {"id": progress["id"], "publication": progress["publication"],
            "link": f"/cell/{page}/{progress['publication']}",
            "title": progress["title"], "state": progress["state"], "running": running,
            "areas": progress["areas"], "created": _when(progress["created_at"]),
            "finished": _when(progress.get("finished_at")),
            "total": grouped(total, lang), "handled": grouped(handled, lang),
            "pct": round(100 * handled / total) if total else (0 if running else 100),
            "remaining": grouped(total - handled, lang),
            "eta": duration(progress["eta_seconds"]) if running and progress["eta_seconds"] else "",
            "rows": rows, "unknown": any(r["unknown"] != "0" for r in rows)}


def subscribers_view(counts: Mapping[str, Mapping[str, int]], lang: str) -> dict[str, Any]:
    """One row per département with subscribers, the most followed first, and the totals."""
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    rows = [{"code": code, "name": DEPARTEMENTS[code],
             "counts": [grouped(per.get(c, 0), lang) for c in ALERT_CHANNELS],
             "total": grouped(sum(per.values()), lang)} for code, per in ordered]
    totals = [sum(per.get(c, 0) for per in counts.values()) for c in ALERT_CHANNELS]
    return {"rows": rows,
            "totals": [grouped(n, lang) for n in totals], "total": grouped(sum(totals), lang)}


PAGES = PageTemplates("channels.alerts", CELL, messages={f"bc.{k}": v for k, v in MESSAGES.items()},
                      helpers={"channels": ALERT_CHANNELS})


def setup_broadcast_pages(app: web.Application, ctx: Context, broadcasts: Broadcasts,
                          subscriptions: Subscriptions) -> None:
    """GET /cell/broadcasts (the cell; `?publication=<id>`: that publication's broadcasts
    only; `?fragment=1`: the live region only) and POST /cell/broadcasts/{id}/cancel."""
    rates = channel_rates(ctx.settings)

    async def views(request: web.Request) -> list[dict[str, Any]]:
        lang = lang_of(request)
        only = request.query.get("publication", "")
        found = [await broadcasts.progress(i, rates) for i in await broadcasts.recent()]
        return [broadcast_view(p, lang) for p in found if not only or p["publication"] == only]

    async def live_values(request: web.Request) -> dict[str, Any]:
        now = dt.datetime.now(dt.timezone.utc)
        return {"items": await views(request), "only": request.query.get("publication", ""),
                "updated": clock_of(request, lang_of(request))(now, "seconds"),
                "updated_iso": now.isoformat(timespec="seconds")}

    async def broadcasts_page(request: web.Request, error: str = "",
                              status: int = 200) -> web.Response:
        cell_user(request)
        values = await live_values(request)
        if request.query.get("fragment") == "1":
            return PAGES.page(request, "broadcasts_live.html", **values)
        subscribers = subscribers_view(await subscriptions.counts(), lang_of(request))
        return PAGES.page(request, "broadcasts.html", status, error=error,
                          subscribers=subscribers, **values)

    async def broadcasts_get(request: web.Request) -> web.Response:
        return await broadcasts_page(request)

    async def cancel_post(request: web.Request) -> web.StreamResponse:
        """Without `confirm=yes`: the confirmation page; with it: stop, back to the list."""
        cell_user(request)
        broadcast_id = request.match_info["broadcast_id"]
        data = await request.post()
        progress = await broadcasts.progress(broadcast_id, rates)  # NotFound: the 404 page
        if data.get("confirm") != "yes":
            return PAGES.page(request, "broadcast_cancel.html",
                              item=broadcast_view(progress, lang_of(request)))
        try:
            await broadcasts.cancel(broadcast_id)
        except CrisisError as err:  # finished meanwhile: say so on the list
            return await broadcasts_page(request, error=err.message, status=400)
        raise back(request, PATH)

    add_page_assets(app, "channels.alerts")
    app.router.add_get(PATH, broadcasts_get)
    app.router.add_post(PATH + "/{broadcast_id}/cancel", cancel_post)
    add_page_roles(app, {PATH: Role.CELL})

