"""The console's forms (POST, CSRF-checked by the core's middleware), each redirecting back."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from channels.api import DESK, check_reply_allowed
from channels.console.messages import CANNED, TOPICS, WRAP_UPS
from channels.console.pages import back
from channels.console.transfer import move_to_operator
from channels.console.views import visible_conversation
from crisis.errors import InvalidInput, InvalidTransition
from crisis.types import ConversationStatus, OperatorStatus, Role
from crisis.web.middleware import require

log = logging.getLogger(__name__)
MAX_TAGS = 10
ANSWERABLE = frozenset({ConversationStatus.ASSIGNED, ConversationStatus.WAITING_CITIZEN})


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def set_status(request: web.Request) -> web.Response:
    principal = require(request, Role.OPERATOR)
    form = await request.post()
    try:
        status = OperatorStatus(str(form.get("status", "")))
    except ValueError:
        raise InvalidInput("choose available, pause or offline") from None
    langs = tuple(lang for lang in ("fr", "en") if lang in form.getall("langs", [])) or ("fr",)
    desk = request.app[DESK]
    state = await desk.router.operator(principal.name)
    await desk.router.set_operator(principal.name, status, capacity=state.capacity, langs=langs,
                                   channels=state.channels)
    if status is OperatorStatus.OFFLINE:
        for conversation_id in state.conversations:
            await desk.requeue(conversation_id, principal.name, actor=principal.name)
    await desk.assign()
    raise back(request, "/console/")


async def reply(request: web.Request) -> web.Response:
    desk, conversation, principal = await visible_conversation(request)
    form = await _form(request)
    if conversation.status not in ANSWERABLE:
        raise InvalidTransition("open the conversation from your list before answering")
    article_id = form.get("article_id", "").strip() or None
    text = form.get("text", "")
    canned = {entry[lang].strip() for entry in CANNED.values() for lang in entry}
    if not (principal.restricted and text.strip() in canned):
        await check_reply_allowed(desk, principal, text, article_id)
    await desk.reply(conversation.id, text, principal.name, article_id)
    if article_id:
        await desk.learn_from_reply(conversation.id, article_id, principal)
    raise back(request, f"/console/c/{conversation.id}")


async def set_tags(request: web.Request) -> web.Response:
    desk, conversation, _ = await visible_conversation(request)
    form = await _form(request)
    tags = [t.strip()[:30] for t in form.get("tags", "").split(",") if t.strip()][:MAX_TAGS]
    topic = form.get("topic", "")
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic[:30]!r}")
    await desk.ctx.redis.hset(desk.k.conversation(conversation.id),
                              mapping={"tags": json.dumps(tags), "topic": topic})
    await desk.publish_live("updated", conversation.id, conversation.operator)
    raise back(request, f"/console/c/{conversation.id}")


async def transfer(request: web.Request) -> web.Response:
    """To another available operator, or back to the head of the queue."""
    desk, conversation, principal = await visible_conversation(request)
    target = (await _form(request)).get("target", "")
    if target == "queue":
        if conversation.operator is None:
            raise InvalidTransition("the conversation is not assigned")
        await desk.requeue(conversation.id, conversation.operator, actor=principal.name)
        await desk.assign()
    else:
        await move_to_operator(desk, conversation.id, target, actor=principal.name)
    raise back(request, "/console/")


async def close(request: web.Request) -> web.Response:
    desk, conversation, principal = await visible_conversation(request)
    wrap_up = (await _form(request)).get("wrap_up", "")
    if wrap_up not in WRAP_UPS:
        raise InvalidInput("choose a wrap-up code")
    await desk.close(conversation.id, principal.name, wrap_up)
    raise back(request, "/console/")


async def reassign(request: web.Request) -> web.Response:
    principal = require(request, Role.SUPERVISOR)
    form = await _form(request)
    await move_to_operator(request.app[DESK], form.get("conversation", ""),
                           form.get("operator", ""), actor=principal.name)
    raise back(request, "/console/supervisor")
