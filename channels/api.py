"""JSON API of the contact centre: conversations and the operator's own status."""

from __future__ import annotations

import msgspec
from aiohttp import web

from channels.access import ConversationAccess
from channels.answer_forms import reply_forms
from channels.desk import Desk
from channels.paging import PageCursor
from channels.policy import QueuePolicy
from channels.skills import Skills
from crisis.errors import Forbidden, InvalidInput
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, OperatorStatus, Principal, Role,
)
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.json_io import json_response, read_body
from crisis.web.middleware import require

MAX_LIMIT = 1000
DESK: web.AppKey[Desk] = web.AppKey("channels_desk", Desk)


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    article_id: str | None = None


class CloseBody(msgspec.Struct, forbid_unknown_fields=True):
    wrap_up: str = ""


class StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: OperatorStatus
    capacity: int = 3
    langs: tuple[str, ...] = ("fr",)
    # Left out, the topics and channels stay as they were (a supervisor may have set them).
    topics: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None


def _enum(value: str | None, kind: type[ConversationStatus] | type[ChannelKind], name: str
          ) -> str | None:
    if not value:
        return None
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise InvalidInput(f"unknown {name} {value!r}; use one of {allowed}") from None


async def list_conversations(request: web.Request) -> web.Response:
    """An operator lists their own conversations and the queue's; a supervisor all of them
    (channels/access.py)."""
    access = ConversationAccess(require(request, Role.OPERATOR))
    query = request.query
    try:
        limit = int(query.get("limit", "50"))
        cursor = PageCursor.parse(query["cursor"]) if query.get("cursor") else None
    except ValueError:
        raise InvalidInput("limit must be a whole number and cursor a value from `next`") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    status = _enum(query.get("status"), ConversationStatus, "status")
    channel = _enum(query.get("channel"), ChannelKind, "channel")
    items, total, next_cursor = await request.app[DESK].conversations(
        status=status, channel=ChannelKind(channel) if channel else None, limit=limit,
        cursor=cursor, visible=None if access.sees_all else access.may_list)
    return json_response({"items": items, "total": total,
                          "next": None if next_cursor is None else str(next_cursor)})


async def readable_conversation(request: web.Request) -> tuple[Desk, Conversation, Principal]:
    """The conversation of the URL, if the caller may read and act on it (channels/access.py);
    Forbidden otherwise. The console's pages and forms use it too."""
    principal = require(request, Role.OPERATOR)
    desk = request.app[DESK]
    conversation = await desk.conversation(request.match_info["conversation_id"])
    return desk, ConversationAccess(principal).check_read(conversation), principal


async def get_conversation(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    # Audited: the console's conversation page and the API's GET, not the live refreshes.
    await desk.record_reading(principal, conversation.id)
    return json_response({**msgspec.to_builtins(conversation),
                          "messages": await desk.messages(conversation.id)})


async def check_reply_allowed(desk: Desk, principal: Principal, text: str,
                              article_id: str | None) -> None:
    """Reinforcement staff send validated answers only: the article's text, unchanged."""
    if not principal.restricted:
        return
    if article_id is None:
        raise Forbidden("reinforcement accounts send validated answers only: insert an article")
    # A browser sends a textarea's line breaks as CRLF.
    if text.replace("\r\n", "\n").strip() not in reply_forms(await desk.article_of(article_id)):
        raise Forbidden("reinforcement accounts may not change a validated answer")


async def reply(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    body = await read_body(request, ReplyBody)
    await check_reply_allowed(desk, principal, body.text, body.article_id)
    message = await desk.reply(conversation.id, body.text, principal, body.article_id)
    if body.article_id:
        await desk.learn_from_reply(conversation.id, body.article_id, principal)
    return json_response(message, status=201)


async def close(request: web.Request) -> web.Response:
    desk, conversation, principal = await readable_conversation(request)
    body = await read_body(request, CloseBody) if request.can_read_body else CloseBody()
    return json_response(await desk.close(conversation.id, principal.name, body.wrap_up))


async def set_my_status(request: web.Request) -> web.Response:
    principal = require(request, Role.OPERATOR)
    body = await read_body(request, StatusBody)
    if not 1 <= body.capacity <= 10:
        raise InvalidInput("capacity must be between 1 and 10")
    desk = request.app[DESK]
    kept = (await desk.operator(principal.name)).skills
    skills = Skills(body.langs, kept.topics if body.topics is None else body.topics,
                    kept.channels if body.channels is None else body.channels).check()
    state = await desk.set_operator_status(principal.name, body.status, actor=principal.name,
                                           capacity=body.capacity, skills=skills)
    return json_response({"name": state.name, "status": state.status, "capacity": state.capacity,
                          "load": state.load, "conversations": state.conversations,
                          "langs": state.langs, "topics": state.topics,
                          "channels": state.channels})


async def get_policy(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    return json_response(await request.app[DESK].policy(fresh=True))


async def put_policy(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    policy = (await read_body(request, QueuePolicy)).check()
    await request.app[DESK].set_policy(policy)
    return json_response(policy)


def setup_api(app: web.Application) -> None:
    for route in (
        ApiRoute("GET", "/api/contact-centre/policy", get_policy,
                 "The queue policy: surge threshold, overflow, skill expansion, language "
                 "fallback, update pace",
                 Role.SUPERVISOR,
                 tag="contact centre"),
        ApiRoute("PUT", "/api/contact-centre/policy", put_policy,
                 "Set the queue policy (seconds; 0 turns surge or overflow off)",
                 Role.SUPERVISOR, tag="contact centre", body={"type": "object", "properties": {
                     "surge_wait_s": {"type": "integer"}, "overflow_wait_s": {"type": "integer"},
                     "update_interval_s": {"type": "integer"},
                     "skill_wait_s": {"type": "integer"},
                     "lang_wait_s": {"type": "integer"}}}),
        ApiRoute("GET", "/api/conversations", list_conversations,
                 "Conversations, newest first, paged with `next` (metadata): an operator's "
                 "own and the queued ones, every one for a supervisor", Role.OPERATOR,
                 query=("status", "channel", "limit", "cursor"), tag="contact centre"),
        ApiRoute("GET", "/api/conversations/{conversation_id}", get_conversation,
                 "One conversation with its messages: the caller's own (any for a supervisor)",
                 Role.OPERATOR, tag="contact centre"),
        ApiRoute("POST", "/api/conversations/{conversation_id}/reply", reply,
                 "Reply to the citizen", Role.OPERATOR, tag="contact centre",
                 body={"type": "object", "required": ["text"], "properties": {
                     "text": {"type": "string"}, "article_id": {"type": "string"}}}),
        ApiRoute("POST", "/api/conversations/{conversation_id}/close", close,
                 "Close with a wrap-up code", Role.OPERATOR, tag="contact centre",
                 body={"type": "object", "properties": {"wrap_up": {"type": "string"}}}),
        ApiRoute("POST", "/api/operators/me/status", set_my_status,
                 "Set my status (available, pause or offline), capacity and skills; topics and "
                 "channels left out stay as they were", Role.OPERATOR,
                 tag="contact centre", body={"type": "object", "required": ["status"],
                                             "properties": {
                                                 "status": {"type": "string"},
                                                 "capacity": {"type": "integer"},
                                                 "langs": {"type": "array",
                                                           "items": {"type": "string"}},
                                                 "topics": {"type": "array",
                                                            "items": {"type": "string"}},
                                                 "channels": {"type": "array",
                                                              "items": {"type": "string"}}}}),
    ):
        add_api_route(app, route)
