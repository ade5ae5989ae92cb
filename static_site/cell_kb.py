"""Cell pages of the knowledge base: review drafts and alternates with a diff, missing answers,
articles that answer most (server-rendered; knowledge_base functions only, no key read here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from crisis.errors import CrisisError
from crisis.i18n import translate
from knowledge_base.article import Article
from knowledge_base.learning import pending_alternates, reject_alternate, top_articles, validate_alternate
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.service import knowledge_base, missing_answers, write_article_from_cluster
from knowledge_base.store import ArticleStore
from static_site.cell.common import back, cell_user, ctx_of, page

PATH = "/cell/kb"
# French first; the cell's shared table belongs to static_site.cell, these are the KB page's own.
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "title": {"fr": "Base de connaissances", "en": "Knowledge base"},
    "review": {"fr": "Articles à valider", "en": "Articles to validate"},
    "none": {"fr": "Rien en attente.", "en": "Nothing pending."},
    "diff": {"fr": "Modifications par rapport à la version en ligne", "en": "Changes from the live version"},
    "new_article": {"fr": "Nouvel article (pas encore en ligne)", "en": "New article (not live yet)"},
    "alternates": {"fr": "Formulations proposées", "en": "Proposed phrasings"},
    "for_article": {"fr": "pour l'article", "en": "for article"},
    "missing": {"fr": "Réponses manquantes", "en": "Missing answers"},
    "asked": {"fr": "fois", "en": "times"},
    "write": {"fr": "Rédiger l'article", "en": "Write the article"},
    "top": {"fr": "Articles qui répondent le plus", "en": "Articles that answer most"},
    "auto": {"fr": "automatiques", "en": "automatic"},
    "operator": {"fr": "par un opérateur", "en": "by an operator"},
    "id": {"fr": "Identifiant (minuscules, chiffres, tirets)", "en": "Id (lowercase, digits, dashes)"},
    "question": {"fr": "Question", "en": "Question"},
    "answer": {"fr": "Réponse", "en": "Answer"},
    "alternates_field": {"fr": "Autres formulations (une par ligne)", "en": "Other phrasings (one per line)"},
    "validate": {"fr": "Valider", "en": "Validate"},
    "publish": {"fr": "Publier", "en": "Publish"},
    "reject": {"fr": "Renvoyer en brouillon", "en": "Send back to draft"},
    "accept": {"fr": "Accepter", "en": "Accept"},
    "refuse": {"fr": "Refuser", "en": "Refuse"},
    "save": {"fr": "Enregistrer le brouillon", "en": "Save the draft"},
}


def tk(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


async def _reviews(store: ArticleStore) -> list[dict[str, Any]]:
    """Submitted and validated articles, each with its diff from the live version."""
    items = []
    for status in ("submitted", "validated"):
        for version in await store.latest(status=status):
            live = await store.get_live(version.id)
            diff = await store.diff(version.id, live.version, version.version) if live else ""
            items.append({"version": version, "live": live, "diff": diff})
    return items


async def _render(request: web.Request, status: int = 200, error: str = "",
                  form: Mapping[str, str] | None = None) -> web.Response:
    ctx = ctx_of(request)
    store = knowledge_base(ctx).store
    proposals = await pending_alternates(store)
    questions = {p.article_id: (await store.get(p.article_id)).article.question for p in proposals}
    return page(request, "kb_review.html", status=status, error=error, tk=tk,
                reviews=await _reviews(store), proposals=proposals, questions=questions,
                clusters=(await missing_answers(ctx))[:30], top=await top_articles(store),
                form=form or {})


async def kb_review(request: web.Request) -> web.Response:
    cell_user(request)
    return await _render(request)


async def kb_article_action(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    action = {"validate": ArticleAction.VALIDATE, "publish": ArticleAction.PUBLISH,
              "reject": ArticleAction.REJECT}.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    try:
        await knowledge_base(ctx_of(request)).store.move(request.match_info["article_id"], action, actor=actor)
    except CrisisError as err:
        return await _render(request, 400, err.message)
    raise back(request, PATH)


async def kb_alternate_action(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    store = knowledge_base(ctx_of(request)).store
    proposal_id = request.match_info["proposal_id"]
    try:
        if request.match_info["decision"] == "accept":
            await validate_alternate(store, proposal_id, actor=actor)
        else:
            await reject_alternate(store, proposal_id, actor=actor)
    except CrisisError as err:
        return await _render(request, 400, err.message)
    raise back(request, PATH)


async def kb_write_from_cluster(request: web.Request) -> web.StreamResponse:
    """The cell writes the article a missing-answer cluster asks for (saved as a draft)."""
    actor = cell_user(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in ("id", "question", "answer", "alternates", "members")}
    try:
        article = Article(id=form["id"], question=form["question"], answer=form["answer"],
                          alternates=[a.strip() for a in form["alternates"].splitlines() if a.strip()][:50])
        members = [m for m in form["members"].split("|") if m]
        await write_article_from_cluster(ctx_of(request), article, members, actor=actor)
    except (CrisisError, ValueError, TypeError) as err:
        message = err.message if isinstance(err, CrisisError) else str(err)
        return await _render(request, 400, message, form)
    raise back(request, PATH)


def setup_kb_pages(app: web.Application) -> None:
    router = app.router
    router.add_get(PATH, kb_review)
    router.add_post(PATH + "/articles/{article_id}/{action}", kb_article_action)
    router.add_post(PATH + "/alternates/{proposal_id}/{decision:accept|refuse}", kb_alternate_action)
    router.add_post(PATH + "/missing", kb_write_from_cluster)
