"""`GET /api/situation`: the figures of the cell's live view, as JSON.

The core gives the crises and the processes; each edge package contributes its own section
through `ctx.add_situation` (the contact centre: contacts, queues, waits, service levels; the
knowledge base: automatic answers, questions left unanswered, phrasings waiting; the watch:
keywords, trends, rumours, signals), so this module imports none of them.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from crisis.context import Context
from crisis.heartbeat import process_counts
from crisis.types import Role, utcnow
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.app_keys import CONTEXT
from crisis.web.json_io import json_response
from crisis.web.middleware import require

log = logging.getLogger(__name__)


async def situation_body(ctx: Context) -> dict[str, Any]:
    """The situation view's figures, as /api/situation sends them and the cell's page shows them.

    A section whose source raises is logged and given as `{"error": "unavailable"}`."""
    live = await ctx.crises.list_live()
    body: dict[str, Any] = {
        "at": utcnow(),
        "crises": [{"id": c.id, "title": c.title, "state": c.state, "level": c.level,
                    "areas": c.areas, "updated_at": c.updated_at} for c in live],
        "processes": await process_counts(ctx.redis, ctx.keys),
    }
    for section, source in ctx.situation.items():
        try:
            body[section] = await source()
        except Exception:  # one broken section must not blank the whole view
            log.exception("situation section failed", extra={"section": section})
            body[section] = {"error": "unavailable"}
    return body


async def situation(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    return json_response(await situation_body(request.app[CONTEXT]))


def setup_situation_api(app: web.Application) -> None:
    add_api_route(app, ApiRoute("GET", "/api/situation", situation,
                                "The situation view's figures: crises, processes, contacts per "
                                "channel, queues, waits, automatic answers, trending terms, rumours, "
                                "signals",
                                Role.SUPERVISOR))
