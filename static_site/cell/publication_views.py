"""Cell pages for publications: draft, validate, publish, withdraw, with exact previews."""

from __future__ import annotations

import msgspec
from aiohttp import web

from crisis.errors import CrisisError
from crisis.lifecycle import PublicationAction
from crisis.publication_file import (
    MAX_BODY, MAX_SMS, MAX_TITLE, PublicationDraft, check_slug, check_text, slugify,
)
from crisis.types import LANGS, Priority, Publication, PublicationStatus
from crisis.web.shell import back, cell_user, ctx_of, lang_of
from knowledge_base import KNOWLEDGE_BASE, derive_sms_text, gsm7_alphabet
from static_site.cell.common import page
from static_site.cell.messages import form_words
from static_site.model import SiteConfig, SiteData
from static_site.pages import Page, prefix
from static_site.render import render_page
from static_site.source import load_site_data

ACTIONS = {"submit": PublicationAction.SUBMIT, "validate": PublicationAction.VALIDATE,
           "publish": PublicationAction.PUBLISH, "withdraw": PublicationAction.WITHDRAW}


FIELDS = ("id", "title", "body", "lang", "priority", "crisis", "areas", "easy_read", "push", "sms")


async def _list_page(request: web.Request, form: dict[str, str], error: str = "",
                     status: int = 200, *, editing: bool = False) -> web.Response:
    """The publications and the form; the form's script gets its words, the SMS alphabet
    (knowledge_base's, for the segment counter) and the site's address (the alert's link)."""
    ctx = ctx_of(request)
    basic, extended = gsm7_alphabet()
    return page(request, "publications.html", status=status,
                publications=await ctx.publications.list(),
                crises=await ctx.crises.list(include_closed=False), form=form, error=error,
                editing=editing,
                langs=LANGS, priorities=list(Priority),
                script={"words": form_words(lang_of(request)), "gsm7": basic,
                        "gsm7_extended": extended, "site": ctx.settings.base_url,
                        "max_sms": MAX_SMS})


def _form_of(publication: Publication) -> dict[str, str]:
    """The form prefilled with a publication's text: a new draft version when saved."""
    return {"id": publication.id, "title": publication.title, "body": publication.body,
            "lang": publication.lang, "priority": publication.priority.value,
            "crisis": publication.crisis_id or "", "areas": ",".join(publication.areas),
            "easy_read": publication.easy_read, "push": "yes" if publication.push else "",
            "sms": publication.sms}


async def publication_list(request: web.Request) -> web.Response:
    """The list and the form; `?edit=<id>`: the form holds that draft (404 if unknown)."""
    cell_user(request)
    edit = request.query.get("edit", "")
    if edit:
        publication = await ctx_of(request).publications.get(edit)
        return await _list_page(request, _form_of(publication), editing=True)
    return await _list_page(request, {})


def _draft_from(form: dict[str, str]) -> PublicationDraft:
    title = check_text(form["title"], limit=MAX_TITLE, what="title")
    if not title:
        raise ValueError("le titre est obligatoire / a title is required")
    if not form["body"].strip():
        raise ValueError("le texte est obligatoire / a text is required")
    if form["lang"] not in LANGS:
        raise ValueError(f"langue inconnue / unknown language: {form['lang']!r}")
    return PublicationDraft(
        id=check_slug(form["id"]) if form["id"] else slugify(title),
        title=title, body=check_text(form["body"], limit=MAX_BODY, what="body"),
        lang=form["lang"], priority=Priority(form["priority"] or "normal"),
        crisis_id=form["crisis"] or None,
        areas=tuple(a.strip() for a in form["areas"].split(",") if a.strip()),
        easy_read=check_text(form["easy_read"], limit=MAX_BODY, what="easy_read"),
        push=form["push"] == "yes", sms=check_text(form["sms"], limit=MAX_SMS, what="sms"))


async def publication_create(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    ctx = ctx_of(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in FIELDS}
    try:
        saved = await ctx.publications.save_draft(_draft_from(form), actor=actor)
    except (CrisisError, ValueError) as err:
        message = err.message if isinstance(err, CrisisError) else str(err)
        return await _list_page(request, form, message, 400)
    raise back(request, f"/cell/publications/{saved.id}")


async def _preview_data(request: web.Request, publication: Publication) -> SiteData:
    """The live data with this publication as if published: what the site would show."""
    ctx = ctx_of(request)
    live = await load_site_data(ctx.redis, ctx.keys, ctx.bus, request.app[KNOWLEDGE_BASE])
    status = publication.status if publication.status is PublicationStatus.ARCHIVED \
        else PublicationStatus.PUBLISHED
    shown = msgspec.structs.replace(publication, status=status,
                                    published_at=publication.published_at or publication.updated_at)
    others = [p for p in (*live.publications, *live.archived) if p.id != publication.id]
    return SiteData.clean([*live.crises, *live.closed_crises], [shown, *others], live.articles,
                          live.built_at)


def _site_config(request: web.Request) -> SiteConfig:
    return SiteConfig.from_settings(ctx_of(request).settings)


async def publication_detail(request: web.Request) -> web.Response:
    cell_user(request)
    ctx = ctx_of(request)
    publication = await ctx.publications.get(request.match_info["publication_id"])
    data = await _preview_data(request, publication)
    cap = render_page(Page(f"cap/{publication.id}.xml", "cap", publication.lang, publication.id,
                           frozenset()), data, _site_config(request))
    return page(request, "publication.html", pub=publication, sms=derive_sms_text(publication.body),
                cap=cap, history=await ctx.publications.history(publication.id), error="")


async def publication_preview(request: web.Request) -> web.Response:
    """The exact site page of this publication, for the preview frame."""
    cell_user(request)
    ctx = ctx_of(request)
    publication = await ctx.publications.get(request.match_info["publication_id"])
    kind = "easy" if request.query.get("easy") and publication.easy_read else "publication"
    path = f"{prefix(publication.lang)}publications/{publication.id}/index.html"
    html = render_page(Page(path, kind, publication.lang, publication.id, frozenset()),
                       await _preview_data(request, publication), _site_config(request))
    # The site's own policy, except that the cell's page may frame it.
    csp = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return web.Response(text=html, content_type="text/html",
                        headers={"Content-Security-Policy": csp, "X-Frame-Options": "SAMEORIGIN"})


async def publication_action(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    ctx = ctx_of(request)
    publication_id = request.match_info["publication_id"]
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    data = await request.post()
    try:
        await ctx.publications.move(publication_id, action, actor=actor,
                                    reason=str(data.get("reason", "")))
    except CrisisError as err:
        publication = await ctx.publications.get(publication_id)
        return page(request, "publication.html", status=400, pub=publication,
                    sms=derive_sms_text(publication.body), cap="",
                    history=await ctx.publications.history(publication_id), error=err.message)
    raise back(request, f"/cell/publications/{publication_id}")
