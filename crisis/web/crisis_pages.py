"""The cell's crisis pages, served by the core: the dashboard of live crises, scenario
activation with a preview, level changes, de-escalation and closing (/cell/, /cell/activate)."""

from __future__ import annotations

from aiohttp import web

from crisis.activation import activate_scenario
from crisis.areas import DEPARTEMENTS, parse_areas
from crisis.errors import CrisisError
from crisis.lifecycle import check_level
from crisis.scenarios import get_scenario, load_scenarios
from crisis.types import Role
from crisis.web.shell import CELL, PageTemplates, add_page_roles, back, cell_user, ctx_of

# Their words are the core's (crisis.i18n), the templates' default table.
PAGES = PageTemplates("crisis.web", CELL)
page = PAGES.page


async def dashboard(request: web.Request) -> web.Response:
    cell_user(request)
    ctx = ctx_of(request)
    crises = await ctx.crises.list(include_closed=False)
    return page(request, "dashboard.html", crises=crises, scenarios=load_scenarios())


async def activate_form(request: web.Request) -> web.Response:
    cell_user(request)
    return page(request, "activate.html", scenarios=load_scenarios(), form={}, preview=None,
                error="")


async def _activation_form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: str(data.get(k, "")).strip() for k in ("scenario", "areas", "level", "title", "confirm")}


async def activate_post(request: web.Request) -> web.StreamResponse:
    """Preview first (what will go live); activate only when the preview's form is confirmed."""
    actor = cell_user(request)
    ctx = ctx_of(request)
    form = await _activation_form(request)
    try:
        scenario = get_scenario(form["scenario"])
        areas = parse_areas(form["areas"]) if form["areas"] else ()
        level = check_level(int(form["level"] or "0"))
        if form["confirm"] != "yes":
            preview = {"scenario": scenario, "areas": [f"{DEPARTEMENTS.get(a, a)} ({a})" for a in areas],
                       "level": next(lv for lv in scenario.levels if lv.level == level)}
            return page(request, "activate.html", scenarios=load_scenarios(), form=form,
                        preview=preview, error="")
        await activate_scenario(ctx.crises, ctx.publications, scenario.id, areas=list(areas),
                                level=level, actor=actor, title=form["title"])
    except (CrisisError, ValueError) as err:
        message = err.message if isinstance(err, CrisisError) else "niveau invalide / invalid level"
        return page(request, "activate.html", status=400, scenarios=load_scenarios(), form=form,
                    preview=None, error=message)
    raise back(request, "/cell/")


async def crisis_action(request: web.Request) -> web.StreamResponse:
    """Change level, de-escalate, re-escalate or close; errors come back on the dashboard."""
    actor = cell_user(request)
    ctx = ctx_of(request)
    crisis_id = request.match_info["crisis_id"]
    action = request.match_info["action"]
    data = await request.post()
    reason = str(data.get("reason", ""))
    try:
        if action == "level":
            await ctx.crises.change_level(crisis_id, int(str(data.get("level", "0"))),
                                          actor=actor, reason=reason)
        elif action == "de-escalate":
            await ctx.crises.de_escalate(crisis_id, actor=actor, reason=reason)
        elif action == "re-escalate":
            await ctx.crises.re_escalate(crisis_id, actor=actor, reason=reason)
        elif action == "close":
            await ctx.crises.close(crisis_id, actor=actor, reason=reason)
        else:
            raise web.HTTPNotFound()
    except (CrisisError, ValueError) as err:
        crises = await ctx.crises.list(include_closed=False)
        message = err.message if isinstance(err, CrisisError) else "valeur invalide / invalid value"
        return page(request, "dashboard.html", status=400, crises=crises,
                    scenarios=load_scenarios(), error=message)
    raise back(request, "/cell/")


def setup_crisis_pages(app: web.Application) -> None:
    """The crisis pages; every page under /cell/ needs the cell role unless its package says
    otherwise (the situation view lets supervisors in)."""
    router = app.router
    router.add_get("/cell/", dashboard)
    router.add_get("/cell/activate", activate_form)
    router.add_post("/cell/activate", activate_post)
    router.add_post("/cell/crises/{crisis_id}/{action}", crisis_action)
    add_page_roles(app, {"/cell/": Role.CELL})
