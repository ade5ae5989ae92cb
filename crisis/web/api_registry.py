"""The JSON API's route registry: each package declares its routes here, with the metadata
the OpenAPI document at /api/openapi.json is built from (so the document cannot drift)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crisis.types import Role

ApiHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_ROUTES: web.AppKey[list[ApiRoute]] = web.AppKey("api_routes", list)


@dataclasses.dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: ApiHandler
    summary: str
    role: Role | None = None
    body: dict[str, Any] | None = None
    query: tuple[str, ...] = ()
    tag: str = "core"


def add_api_route(app: web.Application, route: ApiRoute) -> None:
    """Register the aiohttp route and remember its documentation. A GET route answers HEAD
    too (as `add_get` does), so a monitor's HEAD probe of an API URL is not the site's 404."""
    if route.method == "GET":
        app.router.add_get(route.path, route.handler)
    else:
        app.router.add_route(route.method, route.path, route.handler)
    app.setdefault(API_ROUTES, []).append(route)


def _path_schema(regex: str) -> dict[str, Any]:
    """A path variable's schema: `{action:submit|validate}` lists the only values routed."""
    if re.fullmatch(r"[\w-]+(\|[\w-]+)+", regex):
        return {"type": "string", "enum": regex.split("|")}
    return {"type": "string"}


def _operation(route: ApiRoute) -> dict[str, Any]:
    params = [{"name": name, "in": "path", "required": True, "schema": _path_schema(regex)}
              for name, regex in re.findall(r"{(\w+)(?::([^}]*))?}", route.path)]
    params += [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
               for n in route.query]
    operation: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": f"{route.method.lower()}_{route.handler.__name__}",
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {}}},
            # A write that makes something new answers 201 (a crisis, a draft, a reply...);
            # one whose work goes on after the answer, 202 (signals, a confirmation e-mail).
            **({"201": {"description": "Created", "content": {"application/json": {}}},
                "202": {"description": "Accepted", "content": {"application/json": {}}}}
               if route.method in ("POST", "PUT") else {}),
            "4XX": {"description": "Error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }
    if route.role is not None:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["description"] = f"Needs the {route.role.value} role or above."
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": route.body}}}
    return operation


def openapi_document(app: web.Application, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered API route."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.get(API_ROUTES, []):
        path = re.sub(r"{(\w+)(:[^}]*)?}", r"{\1}", route.path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Crisis centre API", "version": version},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "crisis_session"},
            },
            "schemas": {"Error": {"type": "object", "properties": {"error": {
                "type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}}}}},
        },
    }
