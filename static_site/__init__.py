"""The static information site: generated from live crises and publications, served as files."""

from __future__ import annotations

from aiohttp import web

from crisis.context import Context
from static_site.serving import serve_site
from static_site.triggers import on_event


def setup(app: web.Application, ctx: Context) -> None:
    """Rebuild on core events; serve the published directory at / (the catch-all route)."""
    ctx.subscribe("site-builder", lambda event: on_event(ctx, event))
    app.router.add_get("/{path:.*}", serve_site(ctx.settings.site_path))
