"""JSON API of the learning loop and the cell's tuning: alternates, missing answers, top
articles, synonyms, thresholds."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from crisis.types import Role
from crisis.web.api_registry import ApiRoute
from crisis.web.json_io import json_response, read_body
from crisis.web.middleware import require
from knowledge_base.alternates import propose_alternate
from knowledge_base.article import Article
from knowledge_base.learning import forget_unanswered
from knowledge_base.service import KNOWLEDGE_BASE, KnowledgeBase
from knowledge_base.store import ArticleStore
from knowledge_base.tuning import custom_synonyms, replace_synonyms, set_threshold, synonym_table, thresholds

TAG = "knowledge base"
MAX_DECISION_IDS = 1000  # proposals decided in one request


class TextBody(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class OperatorAnswerBody(msgspec.Struct, forbid_unknown_fields=True):
    question: str
    article_id: str


class IdsBody(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_DECISION_IDS)]


class MembersBody(msgspec.Struct, forbid_unknown_fields=True):
    members: list[str]


class ClusterArticleBody(msgspec.Struct, forbid_unknown_fields=True):
    article: Article
    members: list[str]


class SynonymsBody(msgspec.Struct, forbid_unknown_fields=True):
    custom: dict[str, str]


class ThresholdBody(msgspec.Struct, forbid_unknown_fields=True):
    channel: str
    threshold: float


def _kb(request: web.Request) -> KnowledgeBase:
    return request.app[KNOWLEDGE_BASE]


def _store(request: web.Request) -> ArticleStore:
    return _kb(request).store


async def list_alternates(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    items = await _kb(request).pending_alternates(request.query.get("article") or None)
    return json_response({"items": items, "total": len(items)})


async def propose(request: web.Request) -> web.Response:
    actor = require(request, Role.OPERATOR)
    body = await read_body(request, TextBody)
    proposal = await propose_alternate(_store(request), request.match_info["article_id"], body.text,
                                       actor=actor)
    return json_response({"proposal": proposal}, status=201 if proposal else 200)


async def decide_alternate(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    proposal_id = request.match_info["proposal_id"]
    if request.match_info["decision"] == "validate":
        return json_response(await _kb(request).validate_alternate(proposal_id, actor=actor))
    return json_response(await _kb(request).reject_alternate(proposal_id, actor=actor))


async def decide_alternates(request: web.Request) -> web.Response:
    """Many proposals at once: validated (one new version per article) or rejected."""
    actor = require(request, Role.CELL)
    body = await read_body(request, IdsBody)
    if request.match_info["decision"] == "validate":
        result = await _kb(request).validate_alternates(body.ids, actor=actor)
        return json_response({"versions": result.versions, "added": result.added,
                              "phrasings": result.phrasings, "articles": len(result.versions)})
    rejected = await _kb(request).reject_alternates(body.ids, actor=actor)
    return json_response({"rejected": rejected, "total": len(rejected)})


async def operator_answer(request: web.Request) -> web.Response:
    """The console reports that an operator answered a question with an article."""
    actor = require(request, Role.OPERATOR)
    body = await read_body(request, OperatorAnswerBody)
    proposal = await _kb(request).record_operator_answer(body.question, body.article_id, actor)
    return json_response({"proposal": proposal})


async def list_missing(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    clusters = await _kb(request).missing_answers()
    return json_response({"items": clusters, "total": len(clusters)})


async def dismiss_missing(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, MembersBody)
    removed = await forget_unanswered(_store(request), body.members, actor=actor)
    return json_response({"removed": removed})


async def article_from_missing(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, ClusterArticleBody)
    version = await _kb(request).write_article_from_cluster(body.article, body.members, actor=actor)
    return json_response(version, status=201)


async def list_top(request: web.Request) -> web.Response:
    require(request, Role.SUPERVISOR)
    return json_response({"items": await _kb(request).top_articles()})


async def get_synonyms(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    store = _store(request)
    return json_response({"custom": await custom_synonyms(store), "table": await synonym_table(store)})


async def put_synonyms(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, SynonymsBody)
    table = await replace_synonyms(_store(request), body.custom, actor=actor)
    return json_response({"custom": body.custom, "table": table})


async def get_thresholds(request: web.Request) -> web.Response:
    require(request, Role.OPERATOR)
    return json_response(await thresholds(_store(request)))


async def put_threshold(request: web.Request) -> web.Response:
    actor = require(request, Role.CELL)
    body = await read_body(request, ThresholdBody)
    await set_threshold(_store(request), body.channel, body.threshold, actor=actor)
    return json_response(await thresholds(_store(request)))


def routes() -> list[ApiRoute]:
    member_list: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    members: dict[str, Any] = {"type": "object", "required": ["members"], "properties": {"members": member_list}}
    return [
        ApiRoute("GET", "/api/kb/alternates", list_alternates, "Alternate phrasings awaiting the cell",
                 Role.OPERATOR, query=("article",), tag=TAG),
        ApiRoute("POST", "/api/kb/articles/{article_id}/alternates", propose,
                 "Propose an alternate phrasing of the article", Role.OPERATOR,
                 body={"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                 tag=TAG),
        ApiRoute("POST", "/api/kb/alternates/{proposal_id}/{decision:validate|reject}", decide_alternate,
                 "Validate (added to the article) or reject a proposed phrasing", Role.CELL, tag=TAG),
        ApiRoute("POST", "/api/kb/alternates/{decision:validate|reject}", decide_alternates,
                 "Validate or reject many proposed phrasings at once (one new version per article); "
                 "nothing is written if an id is not pending (404 naming them)", Role.CELL,
                 body={"type": "object", "required": ["ids"], "properties": {"ids": {
                     **member_list, "minItems": 1, "maxItems": MAX_DECISION_IDS}}}, tag=TAG),
        ApiRoute("POST", "/api/kb/operator-answers", operator_answer,
                 "An operator answered a question with an article (learning loop)", Role.OPERATOR,
                 body={"type": "object", "required": ["question", "article_id"], "properties": {
                     "question": {"type": "string"}, "article_id": {"type": "string"}}}, tag=TAG),
        ApiRoute("GET", "/api/kb/missing", list_missing,
                 "Clusters of questions that got no automatic answer, with counts", Role.SUPERVISOR, tag=TAG),
        ApiRoute("POST", "/api/kb/missing/dismiss", dismiss_missing,
                 "Remove questions from the missing answers", Role.CELL, body=members, tag=TAG),
        ApiRoute("POST", "/api/kb/missing/article", article_from_missing,
                 "Write a draft article for a cluster of missing answers", Role.CELL,
                 body={"type": "object", "required": ["article", "members"], "properties": {
                     "article": {"type": "object"}, "members": member_list}}, tag=TAG),
        ApiRoute("GET", "/api/kb/top", list_top, "Articles that answered most (automatic and operator)",
                 Role.SUPERVISOR, tag=TAG),
        ApiRoute("GET", "/api/kb/synonyms", get_synonyms, "The cell's synonyms and the merged table",
                 Role.OPERATOR, tag=TAG),
        ApiRoute("PUT", "/api/kb/synonyms", put_synonyms, "Replace the cell's synonyms", Role.CELL,
                 body={"type": "object", "required": ["custom"], "properties": {
                     "custom": {"type": "object", "additionalProperties": {"type": "string"}}}}, tag=TAG),
        ApiRoute("GET", "/api/kb/thresholds", get_thresholds, "Auto-answer threshold of every channel",
                 Role.OPERATOR, tag=TAG),
        ApiRoute("PUT", "/api/kb/thresholds", put_threshold, "Set one channel's auto-answer threshold",
                 Role.CELL, body={"type": "object", "required": ["channel", "threshold"], "properties": {
                     "channel": {"type": "string"}, "threshold": {"type": "number"}}}, tag=TAG),
    ]
