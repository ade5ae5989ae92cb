"""The cell's rumour page (/cell/rumours): the watchlist's claims with their variants, their
matches now and over the hour (sparkline, per source, per area), a form to add a claim with
its variants, a button to remove one, and the two one-click drafts (a denial publication, a
knowledge-base article), each landing on the draft's page. The banner on every cell page when
a rumour rises comes from here too (`rumour_notices`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crisis.areas import DEPARTEMENTS
from crisis.errors import CrisisError
from crisis.i18n import translate
from crisis.types import Role
from crisis.web.shell import (
    CellNotice, add_cell_notices, add_page_roles, back, cell_user, ctx_of, lang_of, lang_query,
)
from knowledge_base import KNOWLEDGE_BASE
from monitoring import charts
from monitoring.keys import WatchKeys
from monitoring.messages import MESSAGES
from monitoring.rumour_drafts import draft_article, draft_denial
from monitoring.rumour_figures import rising_rumours, rumour_figures
from monitoring.situation_page import PAGES
from monitoring.watchlist import Claim, Rumours, check_claim

PATH = "/cell/rumours"


def _keys(request: web.Request) -> WatchKeys:
    return WatchKeys(ctx_of(request).keys)


def _area_name(code: str) -> str:
    return f"{code} {DEPARTEMENTS.get(code, '')}".strip()


async def _render(request: web.Request, *, status: int = 200, error: str = "",
                  form: dict[str, str] | None = None) -> web.Response:
    rumours: list[dict[str, Any]] = []
    lang = lang_of(request)
    for i, figures in enumerate(await rumour_figures(ctx_of(request).redis, _keys(request))):
        rumours.append({**figures, "spark": charts.sparkline(
                            f"spark-claim-{i}", f"« {figures['claim']} »", list(figures["series"]), lang),
                        "areas": {_area_name(code): n for code, n in figures["areas"].items()}})
    return PAGES.page(request, "rumours.html", status=status, error=error, rumours=rumours,
                      form=form or {"claim": "", "variants": ""})


async def rumours_page(request: web.Request) -> web.Response:
    cell_user(request)
    return await _render(request)


async def add_rumour(request: web.Request) -> web.StreamResponse:
    """The form's claim and variants (one per line) added to the watchlist."""
    cell_user(request)
    data = await request.post()
    form = {k: str(data.get(k, "")) for k in ("claim", "variants")}
    variants = [line.strip() for line in form["variants"].splitlines() if line.strip()]
    try:
        claim = check_claim({"claim": form["claim"], "variants": variants})
        await Rumours(ctx_of(request).redis, _keys(request)).put(claim)
    except CrisisError as err:
        return await _render(request, status=400, error=err.message, form=form)
    raise web.HTTPSeeOther(f"{PATH}{lang_query(request)}#claim-{claim.id}")


async def _claim(request: web.Request) -> Claim:
    claim_id = request.match_info["claim_id"]
    for claim in await Rumours(ctx_of(request).redis, _keys(request)).all():
        if claim.id == claim_id:
            return claim
    raise web.HTTPNotFound(text=f"no claim {claim_id!r} in the watchlist")


async def remove_rumour(request: web.Request) -> web.StreamResponse:
    cell_user(request)
    claim = await _claim(request)
    await Rumours(ctx_of(request).redis, _keys(request)).remove(claim.id)
    raise back(request, PATH)


async def denial_draft(request: web.Request) -> web.StreamResponse:
    """One click: a draft publication denying the claim, then its edit form (then its page:
    preview, submit, validate, publish)."""
    actor = cell_user(request)
    claim = await _claim(request)
    try:
        publication_id = await draft_denial(ctx_of(request), claim, actor=actor)
    except CrisisError as err:
        return await _render(request, status=400, error=err.message)
    query = lang_query(request)
    separator = "&" if query else "?"
    raise web.HTTPSeeOther(f"/cell/publications{query}{separator}edit={publication_id}#new")


async def article_draft(request: web.Request) -> web.StreamResponse:
    """One click: a draft knowledge-base article answering the claim, then its edit page."""
    actor = cell_user(request)
    claim = await _claim(request)
    try:
        article_id = await draft_article(request.app[KNOWLEDGE_BASE], claim, actor=actor)
    except CrisisError as err:
        return await _render(request, status=400, error=err.message)
    raise back(request, f"/cell/kb/drafts/{article_id}")


async def rumour_notices(request: web.Request, lang: str) -> list[CellNotice]:
    """A banner per rising rumour, leading to it on this page."""
    rising = await rising_rumours(ctx_of(request).redis, _keys(request))
    query = lang_query(request)
    return [CellNotice(translate(MESSAGES, "rumours.banner", lang).format(claim=claim.claim, n=count),
                       f"{PATH}{query}#claim-{claim.id}",
                       translate(MESSAGES, "rumours.banner_link", lang))
            for claim, count in rising]


def setup_rumour_pages(app: web.Application) -> None:
    router = app.router
    router.add_get(PATH, rumours_page)
    router.add_post(PATH, add_rumour)
    router.add_post(PATH + "/{claim_id}/remove", remove_rumour)
    router.add_post(PATH + "/{claim_id}/denial", denial_draft)
    router.add_post(PATH + "/{claim_id}/article", article_draft)
    add_page_roles(app, {PATH: Role.CELL})
    add_cell_notices(app, rumour_notices)


