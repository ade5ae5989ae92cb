"""The cell's pulse-question pages: /cell/pulses (the recent ones, and the form to send one)
and /cell/pulses/{id} (its live results: bar chart (pygal, crisis/web/charts.py), table,
response rate; closing it).

Supervisors may read them; sending and closing are the cell's. Server-rendered through the
page shell; `?fragment=1` on a pulse's page returns its results region alone, which
cell_pulse.js swaps in every 3 s (without the script, "Actualiser" reloads the page).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from aiohttp import web

from channels.alerts.pulse_drafts import (
    DEFAULT_MINUTES, DEFAULT_SAMPLE, MAX_OPTIONS, PULSE_CHANNELS, check_draft,
)
from channels.alerts.pulse_messages import MESSAGES
from channels.alerts.pulse_views import pulse_view
from channels.alerts.pulses import Pulses
from channels.alerts.sending import enqueue_send
from crisis.context import Context
from crisis.errors import CrisisError, InvalidInput
from crisis.i18n import translate
from crisis.types import Role
from crisis.web.shell import (
    CELL, PageTemplates, add_page_assets, add_page_roles, back, cell_user, clock_of, lang_of,
    require,
)

PATH = "/cell/pulses"
DURATIONS = (30, 60, 120, 360, 720, 1440, 2880)  # the form's choices, in minutes
MAX_FIELD = 2000  # a form field longer than this is cut before it is checked

PAGES = PageTemplates("channels.alerts", CELL,
                      messages={f"pu.{k}": v for k, v in MESSAGES.items()},
                      helpers={"pulse_channels": PULSE_CHANNELS, "max_options": MAX_OPTIONS,
                               "durations": DURATIONS})


def _problems(problems: list[tuple[str, Any]], lang: str) -> list[str]:
    return [translate(MESSAGES, key, lang).format(**values) for key, values in problems]


def setup_pulse_pages(app: web.Application, ctx: Context, pulses: Pulses) -> None:
    """GET/POST /cell/pulses, GET /cell/pulses/{id}, POST /cell/pulses/{id}/close."""

    async def listing(request: web.Request, *, form: dict[str, Any] | None = None,
                      problems: list[str] | None = None, status: int = 200) -> web.Response:
        principal = require(request, Role.SUPERVISOR)
        lang = lang_of(request)
        items = [pulse_view(await pulses.results(i), lang) for i in await pulses.recent()]
        return PAGES.page(request, "pulses.html", status, items=items,
                          can_send=principal.role.at_least(Role.CELL),
                          form=form or {"option1": "oui", "option2": "non",
                                        "option_en1": "", "option_en2": "",
                                        "sample_size": str(DEFAULT_SAMPLE),
                                        "minutes": str(DEFAULT_MINUTES),
                                        "channels": list(PULSE_CHANNELS)},
                          problems=problems or [])

    async def listing_get(request: web.Request) -> web.Response:
        return await listing(request)

    async def create(request: web.Request) -> web.StreamResponse:
        principal = cell_user(request)
        data = await request.post()
        form = {k: str(v)[:MAX_FIELD] for k, v in data.items() if k != "channel"}
        chosen = [str(c)[:20] for c in data.getall("channel", [])][:10]
        form["channels"] = chosen  # type: ignore[assignment]
        options = [form.get(f"option{n}", "") for n in range(1, MAX_OPTIONS + 2)]
        options_en = [form.get(f"option_en{n}", "") for n in range(1, MAX_OPTIONS + 2)]
        draft = check_draft(form, [o for o in options if o.strip()],
                            [o for o in options_en if o.strip()], chosen)
        lang = lang_of(request)
        if isinstance(draft, list):
            return await listing(request, form=form, problems=_problems(draft, lang),
                                 status=400)
        try:
            pulse_id, draw = await pulses.create(draft, author=principal.name,
                                                 base_url=ctx.settings.base_url)
        except CrisisError as err:
            key = "err.nobody" if "nobody" in err.message else "err.too_many"
            return await listing(request, form=form, problems=_problems([(key, {})], lang),
                                 status=400)
        for channel in draw.chosen:
            await enqueue_send(ctx.jobs, ctx.redis, pulses.k, f"b-{pulse_id}", channel)
        raise back(request, f"{PATH}/{pulse_id}")

    async def one(request: web.Request) -> web.Response:
        principal = require(request, Role.SUPERVISOR)
        lang = lang_of(request)
        item = pulse_view(await pulses.results(request.match_info["pulse_id"]), lang,
                          chart=True)
        now = dt.datetime.now(dt.timezone.utc)
        values: dict[str, Any] = {"item": item, "can_send": principal.role.at_least(Role.CELL),
                  "updated": clock_of(request, lang)(now, "seconds"),
                  "updated_iso": now.isoformat(timespec="seconds")}
        if request.query.get("fragment") == "1":
            return PAGES.page(request, "pulse_live.html", **values)
        return PAGES.page(request, "pulse.html", **values)

    async def close(request: web.Request) -> web.StreamResponse:
        cell_user(request)
        pulse_id = request.match_info["pulse_id"]
        with contextlib.suppress(InvalidInput):  # closed already (its end time, another tab)
            await pulses.close(pulse_id)
        raise back(request, f"{PATH}/{pulse_id}")

    add_page_assets(app, "channels.alerts")
    app.router.add_get(PATH, listing_get)
    app.router.add_post(PATH, create)
    app.router.add_get(PATH + "/{pulse_id}", one)
    app.router.add_post(PATH + "/{pulse_id}/close", close)
    add_page_roles(app, {PATH: Role.SUPERVISOR})
