"""The static information site: generated from live crises and publications, served as files."""

from __future__ import annotations

from aiohttp import web

from crisis.context import Context
from crisis.errors import NotFound
from crisis.types import Role
from crisis.web.shell import add_page_assets, add_page_roles
from static_site.cell import build_views, publication_views
from static_site.model import SiteConfig
from static_site.serving import serve_site
from static_site.triggers import REBUILD_ON, on_event


def setup(app: web.Application, ctx: Context) -> None:
    """Rebuild on core events; the cell's publication and build pages; the site at / (the
    catch-all). The other cell pages are their packages' (see docs/architecture.md)."""
    config = SiteConfig.from_settings(ctx.settings)
    ctx.subscribe("site-builder", lambda event: on_event(ctx, event, config), types=REBUILD_ON)
    router = app.router
    add_page_assets(app, "static_site.cell")  # the publication form's script and stylesheet
    router.add_get("/cell/publications", publication_views.publication_list)
    router.add_post("/cell/publications", publication_views.publication_create)
    router.add_get("/cell/publications/{publication_id}", publication_views.publication_detail)
    router.add_get("/cell/publications/{publication_id}/preview",
                   publication_views.publication_preview)
    router.add_post("/cell/publications/{publication_id}/{action}",
                    publication_views.publication_action)
    router.add_get("/cell/builds", build_views.builds_get)
    router.add_post("/cell/builds/rollback", build_views.rollback_post)
    router.add_post("/cell/builds/rebuild", build_views.rebuild_post)
    add_page_roles(app, {"/cell/publications": Role.CELL, "/cell/builds": Role.CELL})
    # Last among the cell's routes (every package's are set up before the site's): an unknown
    # cell address is the app's 404 page, not the public site's; then the site itself.
    router.add_get("/cell/{tail:.*}", _not_found)
    router.add_get("/{path:.*}", serve_site(ctx.settings.site_path))


async def _not_found(request: web.Request) -> web.Response:
    raise NotFound(f"no cell page at {request.path}")
