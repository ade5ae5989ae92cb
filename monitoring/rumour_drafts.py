"""The two drafts the cell starts from a rumour in one click: a denial publication for the
site and a knowledge-base article answering it. Both are drafts, prefilled from the claim:
the cell completes them and they go through the usual review (the publication's flow, the
knowledge base's) before anything is public.

The publication is saved through the core's `Publications` (crisis/publications.py, what the
site's own form uses), the article through the `KnowledgeBase` handed in by the composition
root: the watch imports neither the site nor the knowledge base's internals. A second click
on the same rumour lands on the draft already started instead of overwriting it.
"""

from __future__ import annotations

from typing import Final

from crisis.context import Context
from crisis.errors import NotFound
from crisis.publication_file import MAX_TITLE, PublicationDraft, slugify
from crisis.types import ArticleStatus, Principal, Priority, PublicationStatus
from knowledge_base import Article, KnowledgeBase
from monitoring.watchlist import Claim

MAX_TRIES: Final = 20
TO_WRITE: Final = "[À RÉDIGER]"

DENIAL_TITLE: Final = "Fausse information : « {claim} »"
DENIAL_BODY: Final = (
    "Une information circule selon laquelle « {claim} ». **Cette information est fausse.**\n\n"
    "{to_write} Ce que les autorités savent et font : faits vérifiés, source, heure.\n\n"
    "Informez-vous uniquement auprès des sources officielles : ce site, la préfecture, les "
    "services de secours et les médias de service public. Ne relayez pas de message non "
    "vérifié ; en cas de doute, posez votre question au centre d'information.")
ARTICLE_QUESTION: Final = "Est-il vrai que {claim} ?"
ARTICLE_ANSWER: Final = (
    "{to_write} Non : cette information est fausse. Réponse à rédiger par la cellule, avec les "
    "faits vérifiés et la source officielle.")


def _sentence(claim: str) -> str:
    return claim.strip().rstrip(".!?… ")


async def draft_denial(ctx: Context, claim: Claim, *, actor: Principal) -> str:
    """The id of a draft publication denying `claim` (created, or the one already started)."""
    base = slugify(f"dementi {claim.id}", limit=70)
    crises = await ctx.crises.list_live()
    for n in range(1, MAX_TRIES + 1):
        publication_id = base if n == 1 else f"{base}-{n}"
        try:
            existing = await ctx.publications.get(publication_id)
        except NotFound:
            break
        if existing.status is PublicationStatus.DRAFT:
            return publication_id  # the denial already started: never overwrite its edits
    title = DENIAL_TITLE.format(claim=_sentence(claim.claim))[:MAX_TITLE]
    saved = await ctx.publications.save_draft(PublicationDraft(
        id=publication_id, title=title,
        body=DENIAL_BODY.format(claim=_sentence(claim.claim), to_write=TO_WRITE),
        lang="fr", priority=Priority.HIGH,
        crisis_id=crises[0].id if len(crises) == 1 else None), actor=actor)
    return saved.id


async def draft_article(kb: KnowledgeBase, claim: Claim, *, actor: Principal) -> str:
    """The id of a draft knowledge-base article answering `claim` (created, or kept)."""
    article_id = slugify(f"rumeur {claim.id}", limit=80)
    try:
        await kb.get(article_id)
        return article_id
    except NotFound:
        pass
    article = Article(
        id=article_id, lang="fr", question=ARTICLE_QUESTION.format(claim=_sentence(claim.claim)),
        answer=ARTICLE_ANSWER.format(to_write=TO_WRITE), status=ArticleStatus.DRAFT,
        alternates=[claim.claim, *claim.variants][:20])
    await kb.save_draft(article, actor=actor, reason=f"written from the rumour {claim.id!r}")
    return article_id
