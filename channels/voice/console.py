"""The console's forms for calls: "Prendre l'appel" and the operator's phone or SIP address."""

from __future__ import annotations

from aiohttp import web

from channels.api import readable_conversation
from crisis.web.shell import back
from channels.voice.operators import CallDesk
from crisis.types import Role
from crisis.web.middleware import require


def console_call_routes(app: web.Application, calls: CallDesk) -> None:
    async def take_call(request: web.Request) -> web.Response:
        _desk, conversation, principal = await readable_conversation(request)
        await calls.take_call(conversation, principal.name)
        await calls.desk.publish_live("updated", conversation.id, principal.name)
        raise back(request, f"/console/c/{conversation.id}")

    async def voice_address(request: web.Request) -> web.Response:
        principal = require(request, Role.OPERATOR)
        form = await request.post()
        await calls.set_operator_address(principal.name, str(form.get("address", ""))[:200])
        target = str(form.get("next", ""))
        raise back(request, target if target.startswith("/console/c/") and
                   target[len("/console/c/"):].isalnum() else "/console/")

    app.router.add_post("/console/c/{conversation_id}/take-call", take_call)
    app.router.add_post("/console/voice-address", voice_address)
