"""JSON API of publications: draft from a document, move through the lifecycle, history."""

from __future__ import annotations

import msgspec
from aiohttp import web

from crisis.errors import NotFound
from crisis.lifecycle import PublicationAction
from crisis.publication_file import parse_publication
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.app_keys import CONTEXT
from crisis.web.json_io import ReasonBody, json_response, read_body
from crisis.web.middleware import require


class DocumentBody(msgspec.Struct, forbid_unknown_fields=True):
    document: str


async def list_publications(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    items = await request.app[CONTEXT].publications.list()
    return json_response({"items": items, "total": len(items)})


async def get_publication(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    publications = request.app[CONTEXT].publications
    publication_id = request.match_info["publication_id"]
    return json_response({"publication": await publications.get(publication_id),
                          "history": await publications.history(publication_id)})


async def draft_publication(request: web.Request) -> web.Response:
    """Save a Markdown document as a draft (a new version if the id exists)."""
    actor = require(request, Role.SUPERVISOR)
    body = await read_body(request, DocumentBody)
    draft = parse_publication(body.document)
    return json_response(await request.app[CONTEXT].publications.save_draft(draft, actor=actor),
                         status=201)


async def move_publication(request: web.Request) -> web.Response:
    actor = require(request, Role.SUPERVISOR)
    try:
        action = PublicationAction(request.match_info["action"])
    except ValueError:
        raise NotFound("unknown action; use submit, validate, publish or withdraw") from None
    body = await read_body(request, ReasonBody) if request.can_read_body else ReasonBody()
    publication = await request.app[CONTEXT].publications.move(
        request.match_info["publication_id"], action, actor=actor, reason=body.reason)
    return json_response(publication)


def setup_publication_api(app: web.Application) -> None:
    for route in (
        ApiRoute("GET", "/api/publications", list_publications,
                 "Every publication (latest version)", Role.OPERATOR),
        ApiRoute("POST", "/api/publications", draft_publication,
                 "Save a Markdown document with front matter as a draft", Role.SUPERVISOR,
                 body={"type": "object", "required": ["document"],
                       "properties": {"document": {"type": "string"}}}),
        ApiRoute("GET", "/api/publications/{publication_id}", get_publication,
                 "One publication with its history", Role.OPERATOR),
        ApiRoute("POST", "/api/publications/{publication_id}/{action:submit|validate|publish|withdraw}",
                 move_publication, "Submit (supervisor), validate, publish or withdraw (cell)",
                 Role.SUPERVISOR, body={"type": "object",
                                        "properties": {"reason": {"type": "string"}}}),
    ):
        add_api_route(app, route)
