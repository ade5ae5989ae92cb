"""Cell pages for site builds: each build's record, the kept builds, rollback and rebuild."""

from __future__ import annotations

from aiohttp import web

from crisis.errors import CrisisError
from crisis.web.shell import back, cell_user, ctx_of
from knowledge_base import KNOWLEDGE_BASE
from static_site.cell.common import page
from static_site.model import SiteConfig
from static_site.publish import list_builds, live_build
from static_site.records import recent_records
from static_site.service import run_build, run_rollback


async def builds_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    cell_user(request)
    ctx = ctx_of(request)
    site_dir = ctx.settings.site_path
    live = live_build(site_dir)
    kept = [b.name for b in reversed(list_builds(site_dir))]
    return page(request, "builds.html", status=status,
                records=await recent_records(ctx.redis, ctx.keys), kept=kept,
                live=live.name if live else "", error=error)


async def builds_get(request: web.Request) -> web.Response:
    return await builds_page(request)


async def rollback_post(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    ctx = ctx_of(request)
    data = await request.post()
    try:
        await run_rollback(ctx.redis, ctx.keys, ctx.settings.site_path,
                           build_id=str(data.get("build_id", "")) or None, actor=actor.label())
    except CrisisError as err:
        return await builds_page(request, error=err.message, status=400)
    raise back(request, "/cell/builds")


async def rebuild_post(request: web.Request) -> web.StreamResponse:
    """A full build now, in this process (the record says how it went)."""
    actor = cell_user(request)
    ctx = ctx_of(request)
    await run_build(ctx.redis, ctx.keys, SiteConfig.from_settings(ctx.settings),
                    ctx.settings.site_path, kb=request.app[KNOWLEDGE_BASE],
                    trigger=f"manual by {actor.label()}", full=True)
    raise back(request, "/cell/builds")
