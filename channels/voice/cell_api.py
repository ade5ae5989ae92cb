"""The cell's IVR texts for its crisis: `GET/PUT /api/voice/ivr/{crisis_id}` (greeting and menu
in French and English, a recorded greeting's URL, the French voice); empty fields keep the
scenario's texts. Read by every web process within channels/voice/content.py's cache time."""

from __future__ import annotations

import msgspec
from aiohttp import web

from channels.voice.content import IvrContentSource, IvrSettings
from crisis.audit import audit_entry, write_audit
from crisis.types import Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.json_io import json_response, read_body
from crisis.web.middleware import require


def setup_ivr_api(app: web.Application, content: IvrContentSource) -> None:
    async def get_ivr(request: web.Request) -> web.Response:
        require(request, Role.CELL)
        crisis = await content.ctx.crises.get(request.match_info["crisis_id"])
        return json_response(await content.settings_of(crisis.id))

    async def put_ivr(request: web.Request) -> web.Response:
        principal = require(request, Role.CELL)
        crisis = await content.ctx.crises.get(request.match_info["crisis_id"])
        saved = await content.save_settings(crisis.id, await read_body(request, IvrSettings))
        await write_audit(content.ctx.redis, content.ctx.keys, audit_entry(
            principal, "voice.ivr", crisis.id, after=msgspec.json.encode(saved).decode()))
        return json_response(saved)

    fields = {name: {"type": "string"} for name in
              ("greeting_fr", "greeting_en", "menu_fr", "menu_en", "audio_url", "voice")}
    for route in (
        ApiRoute("GET", "/api/voice/ivr/{crisis_id}", get_ivr,
                 "The cell's IVR texts for a crisis (empty: the scenario's)", Role.CELL,
                 tag="contact centre"),
        ApiRoute("PUT", "/api/voice/ivr/{crisis_id}", put_ivr,
                 "Set the IVR's greeting, menu, recorded greeting URL and voice for a crisis",
                 Role.CELL, tag="contact centre",
                 body={"type": "object", "properties": fields}),
    ):
        add_api_route(app, route)
