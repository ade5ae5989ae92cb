"""The multichannel contact centre: one adapter per channel, the router and the console."""

from __future__ import annotations

from aiohttp import web

from channels.greetings import update_greetings
from crisis.context import Context


def setup(app: web.Application, ctx: Context) -> None:
    """Register the channels' routes and event subscriptions."""
    ctx.subscribe("channels-greetings", lambda event: update_greetings(ctx, event))
