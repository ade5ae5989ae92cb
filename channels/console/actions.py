"""The console's forms (POST, CSRF-checked by the core's middleware), each redirecting back."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from channels.api import DESK, check_reply_allowed, readable_conversation
from channels.console.messages import CANNED, TOPICS, WRAP_UPS
from channels.console.transfer import SKILL_TARGETS, move_to_operator, move_to_skill
from channels.skills import Skills
from crisis.errors import InvalidInput, InvalidTransition
from crisis.types import ConversationStatus, OperatorStatus, Role
from crisis.web.middleware import require
from crisis.web.shell import back

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
    desk = request.app[DESK]
    state = await desk.operator(principal.name)
    # The console's form carries every skill ("skills" marks it); a bare status post keeps
    # the topics and channels a supervisor may have set.
    skills = _skills(form, state.skills if "skills" not in form else Skills())
    await desk.set_operator_status(principal.name, status, actor=principal.name, skills=skills)
    raise back(request, "/console/")


def _skills(form: Any, keep: Skills) -> Skills:
    """The skills ticked in a form; topics and channels from `keep` when the form has none."""
    def ticked(name: str) -> tuple[str, ...]:
        return tuple(str(v) for v in form.getall(name, []))
    return Skills(ticked("langs") or ("fr",), ticked("topics") or keep.topics,
                  ticked("channels") or keep.channels).check()


async def reply(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    form = await _form(request)
    if conversation.status not in ANSWERABLE:
        raise InvalidTransition("open the conversation from your list before answering")
    article_id = form.get("article_id", "").strip() or None
    text = form.get("text", "")
    canned = {entry[lang].strip() for entry in CANNED.values() for lang in entry}
    if not (principal.restricted and text.strip() in canned):
        await check_reply_allowed(desk, principal, text, article_id)
    await desk.reply(conversation.id, text, principal, article_id)  # shown live everywhere
    if article_id:
        await desk.learn_from_reply(conversation.id, article_id, principal)
    raise back(request, f"/console/c/{conversation.id}")


async def set_tags(request: web.Request) -> web.Response:
    desk, conversation, _ = await readable_conversation(request)
    form = await _form(request)
    tags = [t.strip()[:30] for t in form.get("tags", "").split(",") if t.strip()][:MAX_TAGS]
    topic = form.get("topic", "")
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic[:30]!r}")
    await desk.set_tags(conversation, tags, topic)  # a queued one now waits for its topic
    raise back(request, f"/console/c/{conversation.id}")


async def transfer(request: web.Request) -> web.Response:
    """To another available operator, to the head of a skill's queue (with a note for the
    next operator), or back to the head of the queue."""
    desk, conversation, principal = await readable_conversation(request)
    form = await _form(request)
    target = form.get("target", "")
    if target in SKILL_TARGETS:
        await move_to_skill(desk, conversation.id, target, form.get("note", ""),
                            actor=principal.name)
    elif target == "queue":
        if conversation.operator is None:
            raise InvalidTransition("the conversation is not assigned")
        await desk.requeue(conversation.id, conversation.operator, actor=principal.name)
        await desk.assign()
    else:
        await move_to_operator(desk, conversation.id, target, actor=principal.name)
    raise back(request, "/console/")


async def close(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    wrap_up = (await _form(request)).get("wrap_up", "")
    if wrap_up not in WRAP_UPS:
        raise InvalidInput("choose a wrap-up code")
    await desk.close(conversation.id, principal.name, wrap_up)
    raise back(request, "/console/")


async def set_operator_skills(request: web.Request) -> web.Response:
    """A supervisor sets an operator's languages, topics and channels."""
    require(request, Role.SUPERVISOR)
    form = await request.post()
    desk = request.app[DESK]
    name = str(form.get("operator", ""))
    skills = Skills(*(tuple(str(v) for v in form.getall(field, []))
                      for field in ("langs", "topics", "channels")))
    await desk.set_operator_skills(name, skills)
    raise back(request, "/console/supervisor")


async def reassign(request: web.Request) -> web.Response:
    principal = require(request, Role.SUPERVISOR)
    form = await _form(request)
    await move_to_operator(request.app[DESK], form.get("conversation", ""),
                           form.get("operator", ""), actor=principal.name)
    raise back(request, "/console/supervisor")
