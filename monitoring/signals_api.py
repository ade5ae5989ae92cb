"""The watch's JSON API: `POST /api/signals` (signal lines from any other source) and the
rumour watchlist the cell edits (`GET|POST /api/watch/rumours`, `DELETE .../{id}`)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from crisis.errors import InvalidInput
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.app_keys import CONTEXT
from crisis.web.body import BODY_CAPS
from crisis.web.json_io import json_response
from crisis.web.middleware import require
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.signal_batches import MAX_API_LINES, parse_body
from monitoring.watchlist import Rumours, check_claim

# 1,000 lines of up to 10,000 characters each, with room for JSON escapes: larger is a 413.
MAX_SIGNALS_BODY = 16 * 1024 * 1024


def _keys(request: web.Request) -> WatchKeys:
    return WatchKeys(request.app[CONTEXT].keys)


async def post_signals(request: web.Request) -> web.Response:
    """Validate every line, then write them all (202: normalised shortly after)."""
    require(request, Role.SUPERVISOR)
    signals = parse_body(await request.read())
    accepted = await add_signals(request.app[CONTEXT].redis, _keys(request), signals)
    return json_response({"accepted": accepted}, status=202)


async def list_rumours(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    return json_response({"items": await Rumours(request.app[CONTEXT].redis, _keys(request)).all()})


async def put_rumour(request: web.Request) -> web.Response:
    require(request, Role.CELL)
    try:
        record = msgspec.json.decode(await request.read())
    except msgspec.DecodeError:
        raise InvalidInput("the request body is not valid JSON") from None
    claim = check_claim(record)
    await Rumours(request.app[CONTEXT].redis, _keys(request)).put(claim)
    return json_response(claim, status=201)


async def delete_rumour(request: web.Request) -> web.Response:
    require(request, Role.CELL)
    await Rumours(request.app[CONTEXT].redis, _keys(request)).remove(request.match_info["claim_id"])
    return json_response({"removed": request.match_info["claim_id"]})


def setup_signals_api(app: web.Application) -> None:
    app[BODY_CAPS]["/api/signals"] = MAX_SIGNALS_BODY
    add_api_route(app, ApiRoute(
        "POST", "/api/signals", post_signals,
        f"Signal lines (JSON Lines, or one JSON array), up to {MAX_API_LINES} per request; "
        "all valid or none written (400 names each bad line; 413 over the limit)",
        Role.SUPERVISOR, tag="watch",
        body={"type": "array", "maxItems": MAX_API_LINES, "items": {
            "type": "object", "required": ["source", "time", "text"],
            "properties": {"source": {"type": "string"}, "time": {"type": "string"},
                           "text": {"type": "string"}, "url": {"type": "string"},
                           "lang": {"type": "string"}, "area": {"type": "string"},
                           "author_kind": {"type": "string"}, "reach": {"type": "integer"}}}}))
    add_api_route(app, ApiRoute("GET", "/api/watch/rumours", list_rumours,
                                "The rumour watchlist: claims and their variants",
                                Role.SUPERVISOR, tag="watch"))
    add_api_route(app, ApiRoute(
        "POST", "/api/watch/rumours", put_rumour,
        "Add or replace a claim of the rumour watchlist", Role.CELL, tag="watch",
        body={"type": "object", "required": ["claim"], "properties": {
            "id": {"type": "string"}, "claim": {"type": "string"},
            "variants": {"type": "array", "items": {"type": "string"}}}}))
    add_api_route(app, ApiRoute("DELETE", "/api/watch/rumours/{claim_id}", delete_rumour,
                                "Remove a claim from the rumour watchlist", Role.CELL, tag="watch"))
