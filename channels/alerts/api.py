"""The broadcasts' JSON API: preview before publishing, progress, cancel (the cell)."""

from __future__ import annotations

from aiohttp import web

from channels.alerts.broadcasts import Broadcasts
from channels.alerts.sending import channel_rates
from channels.alerts.subscriptions import Subscriptions
from crisis.areas import parse_areas
from crisis.context import Context
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.middleware import require


def setup_broadcast_api(app: web.Application, ctx: Context, broadcasts: Broadcasts,
                        subscriptions: Subscriptions) -> None:
    rates = channel_rates(ctx.settings)

    async def preview(request: web.Request) -> web.Response:
        require(request, Role.CELL)
        areas = parse_areas(request.query.get("areas", ""))
        return web.json_response(await broadcasts.preview(areas, rates))

    async def list_broadcasts(request: web.Request) -> web.Response:
        require(request, Role.CELL)
        items = [await broadcasts.progress(i, rates) for i in await broadcasts.recent()]
        return web.json_response({"items": items})

    async def one(request: web.Request) -> web.Response:
        require(request, Role.CELL)
        return web.json_response(await broadcasts.progress(request.match_info["broadcast_id"],
                                                           rates))

    async def cancel(request: web.Request) -> web.Response:
        require(request, Role.CELL)
        broadcast_id = request.match_info["broadcast_id"]
        await broadcasts.cancel(broadcast_id)
        return web.json_response(await broadcasts.progress(broadcast_id, rates))

    async def subscribers(request: web.Request) -> web.Response:
        require(request, Role.SUPERVISOR)
        return web.json_response({"areas": await subscriptions.counts()})

    for route in (
        ApiRoute("GET", "/api/broadcasts/preview", preview,
                 "Before publishing with push: alert subscribers per channel in the areas "
                 "(an upper bound) and how long the broadcast takes at the channels' limits",
                 Role.CELL, query=("areas",), tag="alerts"),
        ApiRoute("GET", "/api/broadcasts", list_broadcasts,
                 "The latest broadcasts with their progress", Role.CELL, tag="alerts"),
        ApiRoute("GET", "/api/broadcasts/{broadcast_id}", one,
                 "A broadcast's progress: sent, failed (by reason), unknown, remaining per "
                 "channel, and the ETA", Role.CELL, tag="alerts"),
        ApiRoute("POST", "/api/broadcasts/{broadcast_id}/cancel", cancel,
                 "Stop a running broadcast (what was sent stays sent)", Role.CELL, tag="alerts"),
        ApiRoute("GET", "/api/alerts/subscribers", subscribers,
                 "Alert subscribers per département and channel", Role.SUPERVISOR,
                 tag="alerts"),
    ):
        add_api_route(app, route)
