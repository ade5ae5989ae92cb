"""The operator console (`/console/`): server-rendered pages, a little script, a live socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web

from channels.console import actions, views
from channels.console.chat_page import chat_page
from channels.console.live import HUB, ConsoleHub
from channels.desk import Desk
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.background_tasks import cancel_and_wait
from crisis.errors import NotFound
from crisis.types import Role
from crisis.web.shell import add_page_roles


async def _not_found(request: web.Request) -> web.Response:
    raise NotFound(f"no console page at {request.path}")


async def _to_index(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/console/" + (f"?{request.query_string}"
                                                  if request.query_string else ""))


def setup_console(app: web.Application, desk: Desk, ctx: Context) -> None:
    """Register the console's pages, forms, socket and static files, and the live relay."""
    hub = ConsoleHub(desk, ctx.redis, ChannelKeys(ctx.keys))
    app[HUB] = hub

    async def relay(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop), name="console-live")
        yield
        stop.set()
        await cancel_and_wait([task])

    async def close_sockets(app: web.Application) -> None:
        await hub.close()

    app.cleanup_ctx.append(relay)
    app.on_shutdown.append(close_sockets)
    router = app.router
    router.add_get("/console", _to_index)
    router.add_get("/console/", views.index)
    router.add_get("/console/panel", views.panel)
    router.add_get("/console/ws", hub.handle)
    router.add_post("/console/status", actions.set_status)
    router.add_get("/console/c/{conversation_id}", views.conversation_page)
    router.add_get("/console/c/{conversation_id}/history", views.history)
    router.add_post("/console/c/{conversation_id}/reply", actions.reply)
    router.add_post("/console/c/{conversation_id}/tags", actions.set_tags)
    router.add_post("/console/c/{conversation_id}/transfer", actions.transfer)
    router.add_post("/console/c/{conversation_id}/close", actions.close)
    router.add_get("/console/supervisor", views.supervisor_page)
    router.add_post("/console/supervisor/reassign", actions.reassign)
    router.add_post("/console/supervisor/skills", actions.set_operator_skills)
    router.add_static("/console/static/", str(resources.files("channels.console") / "static"))
    router.add_get("/chat/", chat_page)
    # Last among the console's routes: an unknown console address is the app's 404 page,
    # not the public site's.
    router.add_route("GET", "/console/{tail:.*}", _not_found)
    add_page_roles(app, {"/console/": Role.OPERATOR, "/console/supervisor": Role.SUPERVISOR})
