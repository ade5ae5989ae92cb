"""JSON API of the knowledge base: articles and their lifecycle, search, the auto-answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from aiohttp import web

from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import EventType, Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.json_io import ReasonBody, json_response, read_body
from crisis.web.middleware import require
from knowledge_base import web_learning
from knowledge_base.article import Article
from knowledge_base.cell_pages import setup_kb_pages
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.service import KNOWLEDGE_BASE, KnowledgeBase

TAG = "knowledge base"
_ARTICLE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "question", "answer"],
    "properties": {name: {"type": "string"} for name in ("id", "lang", "question", "answer", "audience")}
    | {name: {"type": "array", "items": {"type": "string"}}
       for name in ("alternates", "tags", "areas", "publications")}}


class AnswerBody(msgspec.Struct, forbid_unknown_fields=True):
    question: str
    lang: str = "fr"
    channel: str = "api"


def _kb(request: web.Request) -> KnowledgeBase:
    return request.app[KNOWLEDGE_BASE]


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}")
    return value


async def list_articles(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    status = request.query.get("status") or None
    items = await _kb(request).latest(status=status)
    return json_response({"items": items, "total": len(items)})


async def save_article(request: web.Request) -> web.Response:
    """Create an article, or a new draft version (PUT on its id)."""
    actor = require(request, Role.OPERATOR)
    article = await read_body(request, Article)
    path_id = request.match_info.get("article_id")
    if path_id is not None and path_id != article.id:
        raise InvalidInput(f"the body's id {article.id!r} is not the path's {path_id!r}")
    version = await _kb(request).store.save_draft(article, actor=actor)
    return json_response(version, status=201 if version.version == 1 else 200)


async def get_article(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    kb = _kb(request)
    article_id = request.match_info["article_id"]
    latest = await kb.get(article_id)
    return json_response({"latest": latest, "live": await kb.get_live(article_id),
                          "sms": latest.article.sms})


async def move_article(request: web.Request) -> web.Response:
    actor = require(request, Role.OPERATOR)
    action = ArticleAction(request.match_info["action"])
    body = await read_body(request, ReasonBody) if request.can_read_body else ReasonBody()
    version = await _kb(request).move(request.match_info["article_id"], action, actor=actor,
                                      reason=body.reason)
    return json_response(version)


async def article_history(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    versions = await _kb(request).store.history(request.match_info["article_id"])
    return json_response({"items": versions, "total": len(versions)})


async def article_diff(request: web.Request) -> web.Response:
    """Diff between two versions; by default the previous one and the latest."""
    require(request, Role.OPERATOR)
    kb = _kb(request)
    article_id = request.match_info["article_id"]
    latest = (await kb.get(article_id)).version
    new = _int(request, "to", latest, 1, latest)
    old = _int(request, "from", max(new - 1, 1), 1, latest)
    return json_response({"id": article_id, "from": old, "to": new,
                          "diff": await kb.diff(article_id, old, new)})


async def search_articles(request: web.Request) -> web.Response:
    """Ranked suggestions for operators (operators-only articles included)."""
    require(request, Role.OPERATOR)
    query = request.query.get("q", "")
    hits = await _kb(request).suggest(query, lang=request.query.get("lang", "fr"),
                                      limit=_int(request, "limit", 5, 1, 50))
    return json_response({"query": query, "items": hits})


async def answer(request: web.Request) -> web.Response:
    """The auto-answer as a channel would give it, with the channel's threshold."""
    require(request, Role.OPERATOR)
    body = await read_body(request, AnswerBody)
    kb = _kb(request)
    result = await kb.answer_question(body.question, lang=body.lang, channel=body.channel)
    article = None
    if result.answer_id is not None:
        live = await kb.get_live(result.answer_id)
        article = None if live is None else {"id": live.id, "question": live.article.question,
                                              "answer": live.article.answer, "sms": live.article.sms}
    return json_response({
        "question": result.question, "answer_id": result.answer_id, "confidence": result.confidence,
        "candidates": [{"id": i, "score": s} for i, s in result.candidates],
        "intent": result.intent.value, "to_operator": result.answer_id is None, "article": article})


def _routes() -> list[ApiRoute]:
    answer_schema = {"type": "object", "required": ["question"], "properties": {
        "question": {"type": "string"}, "lang": {"type": "string"}, "channel": {"type": "string"}}}
    reason = {"type": "object", "properties": {"reason": {"type": "string"}}}
    return [
        ApiRoute("GET", "/api/kb/articles", list_articles, "Latest version of every article",
                 Role.OPERATOR, query=("status",), tag=TAG),
        ApiRoute("POST", "/api/kb/articles", save_article,
                 "Create an article, or a new draft version of one", Role.OPERATOR,
                 body=_ARTICLE_SCHEMA, tag=TAG),
        ApiRoute("GET", "/api/kb/articles/{article_id}", get_article,
                 "One article: latest version, live version, SMS form", Role.OPERATOR, tag=TAG),
        ApiRoute("PUT", "/api/kb/articles/{article_id}", save_article,
                 "A new draft version of the article", Role.OPERATOR, body=_ARTICLE_SCHEMA, tag=TAG),
        ApiRoute("POST", "/api/kb/articles/{article_id}/{action:submit|validate|publish|reject|archive}",
                 move_article, "Submit (operator); validate, publish, reject or archive (cell)",
                 Role.OPERATOR, body=reason, tag=TAG),
        ApiRoute("GET", "/api/kb/articles/{article_id}/history", article_history,
                 "Every version of the article, oldest first", Role.OPERATOR, tag=TAG),
        ApiRoute("GET", "/api/kb/articles/{article_id}/diff", article_diff,
                 "Unified diff between two versions (default: previous and latest)",
                 Role.OPERATOR, query=("from", "to"), tag=TAG),
        ApiRoute("GET", "/api/kb/search", search_articles, "Ranked articles for a question",
                 Role.OPERATOR, query=("q", "lang", "limit"), tag=TAG),
        ApiRoute("POST", "/api/kb/answer", answer,
                 "Automatic answer or none, with confidence and candidates", Role.OPERATOR,
                 body=answer_schema, tag=TAG),
    ]


def setup(app: web.Application, ctx: Context, kb: KnowledgeBase) -> None:
    """Routes, the starter-articles subscription and the index refresh loop of this process
    (`kb`, the process's one knowledge base, is also `app[KNOWLEDGE_BASE]` for the handlers)."""
    for route in _routes() + web_learning.routes():
        add_api_route(app, route)
    setup_kb_pages(app)  # the cell's review pages, /cell/kb
    ctx.subscribe("kb-starter-articles", kb.on_crisis_activated, types=(EventType.CRISIS_ACTIVATED,))
    ctx.add_situation("knowledge_base", kb.situation)

    async def keep_index_fresh(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(kb.keep_fresh(stop), name="kb-index")
        yield
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(keep_index_fresh)

