"""The watch: media, web and social signals, polls and citizens' questions, in a situation view."""

from __future__ import annotations

from aiohttp import web

from crisis.context import Context
from monitoring.situation_page import setup_situation_page
from monitoring.watch_keywords import WATCH_KEYWORD_EVENTS, update_watch_keywords


def setup(app: web.Application, ctx: Context) -> None:
    """Register the watch's pages (the situation view) and event subscriptions."""
    setup_situation_page(app)
    ctx.subscribe("watch-keywords", lambda event: update_watch_keywords(ctx, event),
                  types=WATCH_KEYWORD_EVENTS)
