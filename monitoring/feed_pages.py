"""The cell's feeds page (/cell/feeds): the RSS/Atom feeds the watch reads, each with its
health (and the reason when it fails), its interval and what it brought; a form to add one
(its first poll queued at once, as `crisis feeds add` does) and a button to remove one. The
command line (`crisis feeds add|list|remove`) and this page act on the same list."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from crisis.errors import CrisisError
from crisis.types import Role
from crisis.web.shell import add_page_roles, back, cell_user, ctx_of, lang_query
from monitoring.feeds import AUTHOR_KINDS, DEFAULT_EVERY_S, POLL_JOB, Feeds, parse_every
from monitoring.keys import WatchKeys
from monitoring.situation_page import PAGES

PATH: Final = "/cell/feeds"
EMPTY_FORM: Final = {"url": "", "name": "", "every": f"{DEFAULT_EVERY_S}s", "kind": "media"}


def _feeds(request: web.Request) -> Feeds:
    ctx = ctx_of(request)
    return Feeds(ctx.redis, WatchKeys(ctx.keys))


async def _render(request: web.Request, *, status: int = 200, error: str = "",
                  form: dict[str, str] | None = None) -> web.Response:
    return PAGES.page(request, "feeds.html", status=status, error=error,
                      feeds=await _feeds(request).listing(), form=form or dict(EMPTY_FORM),
                      kinds=AUTHOR_KINDS)


async def feeds_page(request: web.Request) -> web.Response:
    cell_user(request)
    return await _render(request)


async def add_feed(request: web.Request) -> web.StreamResponse:
    """The form's feed added and its first poll queued; a bad URL, name or interval comes
    back on the form with the reason (400), nothing added."""
    cell_user(request)
    data = await request.post()
    form: dict[str, Any] = {k: str(data.get(k, ""))[:2000].strip() for k in EMPTY_FORM}
    try:
        feed = await _feeds(request).add(form["url"], name=form["name"] or None,
                                         every_s=parse_every(form["every"] or "60s"),
                                         author_kind=form["kind"] or "media")
    except CrisisError as err:
        return await _render(request, status=400, error=err.message, form=form)
    await ctx_of(request).jobs.enqueue_async(POLL_JOB, feed.name, feed.chain, retries=0)
    raise web.HTTPSeeOther(f"{PATH}{lang_query(request)}#feed-{feed.name}")


async def remove_feed(request: web.Request) -> web.StreamResponse:
    """The feed forgotten; its pending poll finds it gone and stops by itself."""
    cell_user(request)
    try:
        await _feeds(request).remove(request.match_info["name"])
    except CrisisError as err:
        return await _render(request, status=err.http_status, error=err.message)
    raise back(request, PATH)


def setup_feed_pages(app: web.Application) -> None:
    app.router.add_get(PATH, feeds_page)
    app.router.add_post(PATH, add_feed)
    app.router.add_post(PATH + "/{name}/remove", remove_feed)
    add_page_roles(app, {PATH: Role.CELL})
