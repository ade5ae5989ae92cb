"""Cell pages of the knowledge base: review drafts and alternates with a diff, missing answers,
articles that answer most (server-rendered through the page shell; the KnowledgeBase's verbs
only, no key read here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec
from aiohttp import web

from crisis.errors import CrisisError, NotFound
from crisis.i18n import translate, translate_count
from crisis.types import ArticleStatus
from crisis.web.shell import CELL, PageTemplates, add_page_assets, back, cell_user, lang_of
from knowledge_base import KNOWLEDGE_BASE, Article, ArticleAction, KnowledgeBase, group_by_article
from knowledge_base.alternates import CITIZEN_CHOICE

PATH = "/cell/kb"
# French first; the words every cell page shares are the core's, these are the KB page's own.
MESSAGES: Mapping[str, Mapping[str, str]] = {
    "title": {"fr": "Base de connaissances", "en": "Knowledge base"},
    "edit_title": {"fr": "Brouillon d'article", "en": "Draft article"},
    "edit_help": {"fr": "Complétez la réponse, enregistrez, puis soumettez-la à validation.",
                  "en": "Complete the answer, save it, then submit it for validation."},
    "question": {"fr": "Question", "en": "Question"},
    "answer": {"fr": "Réponse", "en": "Answer"},
    "phrasings": {"fr": "Autres formulations (une par ligne)", "en": "Other phrasings (one per line)"},
    "save_draft": {"fr": "Enregistrer le brouillon", "en": "Save the draft"},
    "submit": {"fr": "Soumettre à validation", "en": "Submit for validation"},
    "not_draft": {"fr": "Cet article n'est plus un brouillon : il est en relecture ci-dessous.",
                  "en": "This article is no longer a draft: it is under review below."},
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
    "alternates_help": {
        "fr": "Cochez les formulations (Espace), puis validez ou refusez la sélection en une fois. "
              "Les plus demandées sont en tête.",
        "en": "Tick the phrasings (Space), then validate or refuse the selection at once. "
              "The most asked come first."},
    "select_all": {"fr": "Tout sélectionner pour cet article", "en": "Select all for this article"},
    "validate_selection": {"fr": "Valider la sélection", "en": "Validate the selection"},
    "refuse_selection": {"fr": "Refuser la sélection", "en": "Refuse the selection"},
    "selection_actions": {"fr": "Décision sur la sélection", "en": "Decision on the selection"},
    "first_by": {"fr": "d'abord par", "en": "first by"},
    "first_by_citizen_choice": {
        "fr": "d'abord par un citoyen qui a choisi cet article dans le menu de la file d'attente",
        "en": "first by a citizen who picked this article from the queue's menu"},
    "phrasings.one": {"fr": "{n} formulation", "en": "{n} phrasing"},
    "phrasings.many": {"fr": "{n} formulations", "en": "{n} phrasings"},
    "proposed_total.one": {"fr": "proposée {n} fois", "en": "proposed once"},
    "proposed_total.many": {"fr": "proposées {n} fois au total", "en": "proposed {n} times in all"},
    "proposed.one": {"fr": "proposée {n} fois", "en": "proposed once"},
    "proposed.many": {"fr": "proposée {n} fois", "en": "proposed {n} times"},
    "added.one": {"fr": "{n} formulation ajoutée", "en": "{n} phrasing added"},
    "added.many": {"fr": "{n} formulations ajoutées", "en": "{n} phrasings added"},
    "to_articles.one": {"fr": "à {n} article", "en": "to {n} article"},
    "to_articles.many": {"fr": "à {n} articles", "en": "to {n} articles"},
    "known.one": {"fr": "{n} déjà connue de son article, retirée de la liste",
                  "en": "{n} already known to its article, taken off the list"},
    "known.many": {"fr": "{n} déjà connues de leur article, retirées de la liste",
                   "en": "{n} already known to their article, taken off the list"},
    "rejected.one": {"fr": "{n} formulation refusée", "en": "{n} phrasing refused"},
    "rejected.many": {"fr": "{n} formulations refusées", "en": "{n} phrasings refused"},
    "choose_some": {"fr": "Aucune formulation cochée : cochez-en au moins une, puis recommencez.",
                    "en": "No phrasing ticked: tick at least one, then try again."},
    "decided_meanwhile": {
        "fr": "Rien n'a été enregistré : certaines formulations ne sont plus en attente (décidées "
              "entre-temps par quelqu'un d'autre). La liste est à jour : refaites votre sélection.",
        "en": "Nothing was saved: some phrasings are no longer pending (decided meanwhile by someone "
              "else). The list is up to date: make your selection again."},
    "not_saved": {"fr": "Rien n'a été enregistré", "en": "Nothing was saved"},
    "shortcuts": {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"},
    "key.jk": {"fr": "case suivante / précédente", "en": "next / previous box"},
    "kbd.space": {"fr": "Espace", "en": "Space"},
    "key.space": {"fr": "cocher ou décocher la case", "en": "tick or untick the box"},
    "key.a": {"fr": "cocher ou décocher tout l'article de la formulation",
              "en": "tick or untick the phrasing's whole article"},
    "key.alt_vr": {"fr": "valider / refuser la sélection", "en": "validate / refuse the selection"},
}


def tk(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


def tn(key: str, n: int, lang: str) -> str:
    return translate_count(MESSAGES, key, n, lang)


PAGES = PageTemplates("knowledge_base", CELL, messages=MESSAGES)
page = PAGES.page


def _notice(query: Mapping[str, str], lang: str) -> str:
    """The result of the last bulk decision, from the redirect's query (numbers only)."""
    numbers = {k: int(query[k]) for k in ("phrasings", "articles", "known", "rejected")
               if query.get(k, "").isdigit()}
    if query.get("done") == "validated" and {"phrasings", "articles"} <= numbers.keys():
        text = f"{tn('added', numbers['phrasings'], lang)} {tn('to_articles', numbers['articles'], lang)}"
        if numbers.get("known"):
            text += f" ({tn('known', numbers['known'], lang)})"
        return text + "."
    if query.get("done") == "rejected" and "rejected" in numbers:
        return tn("rejected", numbers["rejected"], lang) + "."
    return ""


async def _reviews(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Submitted and validated articles, each with its diff from the live version."""
    items = []
    for status in (ArticleStatus.SUBMITTED, ArticleStatus.VALIDATED):
        for version in await kb.latest(status=status):
            live = await kb.get_live(version.id)
            diff = await kb.diff(version.id, live.version, version.version) if live else ""
            items.append({"version": version, "live": live, "diff": diff})
    return items


async def _render(request: web.Request, status: int = 200, error: str = "",
                  form: Mapping[str, str] | None = None) -> web.Response:
    kb = request.app[KNOWLEDGE_BASE]
    groups = group_by_article(await kb.pending_alternates())
    questions = {article_id: (await kb.get(article_id)).article.question for article_id, _ in groups}
    return page(request, "kb_review.html", status=status, error=error, tk=tk, tn=tn,
                citizen_choice=CITIZEN_CHOICE,
                notice="" if error else _notice(request.query, lang_of(request)),
                reviews=await _reviews(kb), groups=groups, questions=questions,
                clusters=(await kb.missing_answers())[:30], top=await kb.top_articles(),
                form=form or {})


async def kb_review(request: web.Request) -> web.Response:
    cell_user(request)
    return await _render(request)


async def kb_article_action(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    action = {"submit": ArticleAction.SUBMIT, "validate": ArticleAction.VALIDATE,
              "publish": ArticleAction.PUBLISH,
              "reject": ArticleAction.REJECT}.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    try:
        await request.app[KNOWLEDGE_BASE].move(request.match_info["article_id"], action, actor=actor)
    except CrisisError as err:
        return await _render(request, 400, err.message)
    raise back(request, PATH)


async def kb_alternate_action(request: web.Request) -> web.StreamResponse:
    actor = cell_user(request)
    kb = request.app[KNOWLEDGE_BASE]
    proposal_id = request.match_info["proposal_id"]
    try:
        if request.match_info["decision"] == "accept":
            await kb.validate_alternate(proposal_id, actor=actor)
        else:
            await kb.reject_alternate(proposal_id, actor=actor)
    except CrisisError as err:
        return await _render(request, 400, err.message)
    raise back(request, PATH)


async def kb_alternates_decision(request: web.Request) -> web.StreamResponse:
    """The cell validates or refuses the ticked phrasings at once: `ids` (one per ticked box)
    and `all` (an article's "select all" box: its ids, space-separated), `decision`."""
    actor = cell_user(request)
    kb = request.app[KNOWLEDGE_BASE]
    data = await request.post()
    ids = [str(i) for i in data.getall("ids", [])]
    ids += [i for group in data.getall("all", []) for i in str(group).split()]
    decision = data.get("decision")
    if decision not in ("validate", "reject"):
        raise web.HTTPBadRequest(text="decision must be validate or reject")
    lang = lang_of(request)
    if not ids:
        return await _render(request, 400, tk("choose_some", lang))
    try:
        if decision == "validate":
            result = await kb.validate_alternates(ids, actor=actor)
            known = len(set(ids)) - result.phrasings
            query = {"done": "validated", "phrasings": result.phrasings,
                     "articles": len(result.versions), "known": known}
        else:
            query = {"done": "rejected", "rejected": len(await kb.reject_alternates(ids, actor=actor))}
    except NotFound as err:
        return await _render(request, 400, f"{tk('decided_meanwhile', lang)} ({err.message})")
    except CrisisError as err:
        return await _render(request, 400, f"{tk('not_saved', lang)}: {err.message}")
    if lang == "en":
        query["lang"] = "en"
    raise web.HTTPSeeOther(f"{PATH}?{urlencode(query)}#alternates-notice")


async def kb_write_from_cluster(request: web.Request) -> web.StreamResponse:
    """The cell writes the article a missing-answer cluster asks for (saved as a draft)."""
    actor = cell_user(request)
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in ("id", "question", "answer", "alternates", "members")}
    try:
        article = Article(id=form["id"], question=form["question"], answer=form["answer"],
                          alternates=[a.strip() for a in form["alternates"].splitlines() if a.strip()][:50])
        members = [m for m in form["members"].split("|") if m]
        await request.app[KNOWLEDGE_BASE].write_article_from_cluster(article, members, actor=actor)
    except (CrisisError, ValueError, TypeError) as err:
        message = err.message if isinstance(err, CrisisError) else str(err)
        return await _render(request, 400, message, form)
    raise back(request, PATH)


async def _draft_page(request: web.Request, status: int = 200, error: str = "",
                      form: Mapping[str, str] | None = None) -> web.Response:
    version = await request.app[KNOWLEDGE_BASE].get(request.match_info["article_id"])
    article = version.article
    form = form or {"question": article.question, "answer": article.answer,
                    "alternates": "\n".join(article.alternates)}
    return page(request, "kb_edit.html", status=status, error=error, tk=tk, version=version,
                form=form)


async def kb_draft(request: web.Request) -> web.Response:
    """A draft article's edit page (NotFound: 404 through the error middleware)."""
    cell_user(request)
    return await _draft_page(request)


async def kb_draft_save(request: web.Request) -> web.StreamResponse:
    """The draft's new text saved as a new draft version; back to its edit page."""
    actor = cell_user(request)
    kb = request.app[KNOWLEDGE_BASE]
    data = await request.post()
    form = {k: str(data.get(k, "")).strip() for k in ("question", "answer", "alternates")}
    version = await kb.get(request.match_info["article_id"])
    try:
        article = msgspec.structs.replace(
            version.article, question=form["question"], answer=form["answer"],
            alternates=[a.strip() for a in form["alternates"].splitlines() if a.strip()][:50])
        await kb.save_draft(article, actor=actor, reason="edited in the cell")
    except (CrisisError, ValueError) as err:
        message = err.message if isinstance(err, CrisisError) else str(err)
        return await _draft_page(request, 400, message, form)
    raise back(request, f"{PATH}/drafts/{version.id}")


def setup_kb_pages(app: web.Application) -> None:
    """The review page and its forms at /cell/kb (the cell role: /cell/ pages need it), and
    their script and stylesheet at /cell/static/."""
    add_page_assets(app, "knowledge_base")
    router = app.router
    router.add_get(PATH, kb_review)
    router.add_post(PATH + "/articles/{article_id}/{action}", kb_article_action)
    router.add_post(PATH + "/alternates", kb_alternates_decision)
    router.add_post(PATH + "/alternates/{proposal_id}/{decision:accept|refuse}", kb_alternate_action)
    router.add_post(PATH + "/missing", kb_write_from_cluster)
    router.add_get(PATH + "/drafts/{article_id}", kb_draft)
    router.add_post(PATH + "/drafts/{article_id}", kb_draft_save)
