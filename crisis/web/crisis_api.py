"""JSON API of crises and scenarios: list, activate, change level, de-escalate, close."""

from __future__ import annotations

import msgspec
from aiohttp import web

from crisis.activation import activate_scenario
from crisis.audit import parse_since, read_audit
from crisis.errors import InvalidInput
from crisis.heartbeat import process_counts
from crisis.scenarios import get_scenario, load_scenarios
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.app_keys import CONTEXT
from crisis.web.json_io import ReasonBody, json_response, read_body
from crisis.web.middleware import require


class ActivateBody(msgspec.Struct, forbid_unknown_fields=True):
    scenario: str
    areas: str | list[str]
    level: int = 1
    title: str = ""
    reason: str = ""


class LevelBody(msgspec.Struct, forbid_unknown_fields=True):
    level: int
    reason: str = ""


async def list_scenarios(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    return json_response({"items": [
        {"id": s.id, "kind": s.kind, "title": s.title, "summary": s.summary,
         "levels": s.levels, "instructions": len(s.instructions)}
        for s in load_scenarios().values()]})


async def get_scenario_detail(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    return json_response(get_scenario(request.match_info["scenario_id"]))


async def list_crises(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    crises = await request.app[CONTEXT].crises.list()
    return json_response({"items": crises, "total": len(crises)})


async def get_crisis(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    return json_response(await request.app[CONTEXT].crises.get(request.match_info["crisis_id"]))


async def activate(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, ActivateBody)
    ctx = request.app[CONTEXT]
    crisis = await activate_scenario(
        ctx.crises, ctx.publications, body.scenario, areas=body.areas, level=body.level,
        actor=actor, title=body.title, reason=body.reason)
    return json_response(crisis, status=201)


async def change_level(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, LevelBody)
    crisis = await request.app[CONTEXT].crises.change_level(
        request.match_info["crisis_id"], body.level, actor=actor, reason=body.reason)
    return json_response(crisis)


def _transition(name: str) -> ApiRoute:
    async def handler(request: web.Request) -> web.Response:
        actor = require(request, Role.CELL)
        body = await read_body(request, ReasonBody) if request.can_read_body else ReasonBody()
        method = getattr(request.app[CONTEXT].crises, name.replace("-", "_"))
        return json_response(await method(request.match_info["crisis_id"], actor=actor,
                                           reason=body.reason))
    handler.__name__ = f"crisis_{name.replace('-', '_')}"
    return ApiRoute("POST", f"/api/crises/{{crisis_id}}/{name}", handler,
                    f"{name.capitalize()} a crisis", Role.CELL,
                    body={"type": "object", "properties": {"reason": {"type": "string"}}})


async def status(request: web.Request) -> web.Response:
    """What `crisis status --json` prints: live crises and the processes that beat."""
    require(request, Role.OPERATOR)
    ctx = request.app[CONTEXT]
    return json_response({
        "crises": await ctx.crises.list(include_closed=False),
        **await process_counts(ctx.redis, ctx.keys),
    })


async def audit(request: web.Request) -> web.Response:
    """The audit trail, newest first; `since` and `actor` filter it as `crisis audit` does."""
    require(request, Role.CELL)
    raw_limit = request.query.get("limit", "") or "100"
    if not raw_limit.isdigit() or int(raw_limit) < 1:
        raise InvalidInput("limit must be a whole number from 1 to 1000")
    since = request.query.get("since")
    ctx = request.app[CONTEXT]
    return json_response({"items": await read_audit(
        ctx.redis, ctx.keys, min(int(raw_limit), 1000),
        since=parse_since(since) if since else None,
        actor=request.query.get("actor") or None)})


def setup_crisis_api(app: web.Application) -> None:
    activate_schema = {"type": "object", "required": ["scenario", "areas"], "properties": {
        "scenario": {"type": "string"}, "areas": {"type": "string"},
        "level": {"type": "integer", "minimum": 1, "maximum": 3},
        "title": {"type": "string"}, "reason": {"type": "string"}}}
    for route in (
        ApiRoute("GET", "/api/scenarios", list_scenarios, "Scenario templates", Role.OPERATOR),
        ApiRoute("GET", "/api/scenarios/{scenario_id}", get_scenario_detail,
                 "One scenario template", Role.OPERATOR),
        ApiRoute("GET", "/api/crises", list_crises, "Every crisis, newest first", Role.OPERATOR),
        ApiRoute("POST", "/api/crises", activate, "Activate a scenario", Role.CELL,
                 body=activate_schema),
        ApiRoute("GET", "/api/crises/{crisis_id}", get_crisis, "One crisis", Role.OPERATOR),
        ApiRoute("POST", "/api/crises/{crisis_id}/level", change_level, "Change the level",
                 Role.CELL, body={"type": "object", "required": ["level"], "properties": {
                     "level": {"type": "integer"}, "reason": {"type": "string"}}}),
        _transition("de-escalate"), _transition("re-escalate"), _transition("close"),
        ApiRoute("GET", "/api/status", status, "Live crises and processes", Role.OPERATOR),
        ApiRoute("GET", "/api/audit", audit, "The audit trail, newest first", Role.CELL,
                 query=("limit", "since", "actor")),
    ):
        add_api_route(app, route)
