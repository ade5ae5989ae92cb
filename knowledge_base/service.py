"""The knowledge base as other packages use it: answer, suggest, learn, publish starter articles.

Channels, the console and the site call these functions with the process's Context; none
of them reads a knowledge-base key. One store and one live index exist per Context.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.scenarios import starter_articles_text
from crisis.types import Event, EventType, LANGS, Principal, Role
from knowledge_base.alternates import AlternateProposal, propose_alternate
from knowledge_base.answer import MAX_QUESTION_CHARS, AutoAnswer, auto_answer
from knowledge_base.article import MAX_QUESTION, Article, parse_article_lines
from knowledge_base.clusters import MissingAnswer, cluster_unanswered
from knowledge_base.importing import ImportReport, import_articles
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.learning import count_answer, forget_unanswered, record_unanswered, unanswered_questions
from knowledge_base.live_index import LiveIndex
from knowledge_base.store import ArticleStore, ArticleVersion
from knowledge_base.tuning import check_channel, threshold_for

log = logging.getLogger(__name__)

# Who imports a scenario's starter articles when a crisis is activated (the audit names it).
STARTER_ACTOR = Principal("starter-articles", Role.CELL, "event")


@dataclasses.dataclass
class KnowledgeBase:
    ctx: Context
    store: ArticleStore
    index: LiveIndex


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A ranked article for an operator (who may also see operators-only articles)."""

    id: str
    question: str
    audience: str
    score: float


_INSTANCES: dict[int, KnowledgeBase] = {}


def knowledge_base(ctx: Context) -> KnowledgeBase:
    """This Context's store and live index (created on first use)."""
    kb = _INSTANCES.get(id(ctx))
    if kb is None or kb.ctx is not ctx:
        store = ArticleStore(ctx.redis, ctx.keys, ctx.bus)
        kb = KnowledgeBase(ctx, store, LiveIndex(store))
        _INSTANCES[id(ctx)] = kb
    return kb


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang[:10]!r}; languages: {', '.join(LANGS)}")
    return lang


async def answer_question(ctx: Context, question: str, *, lang: str = "fr", channel: str = "api",
                          record: bool = True) -> AutoAnswer:
    """The automatic answer for a citizen's question on `channel`, or no answer (answer_id None).

    Uses the channel's threshold. With `record`, an answer is counted for its article and a
    question left unanswered is kept for the cell's missing answers. InvalidInput on an empty
    or over-long question, an unknown language or channel.
    """
    kb = knowledge_base(ctx)
    check_channel(channel)
    indexes = await kb.index.current()
    threshold = await threshold_for(kb.store, channel)
    result = auto_answer(indexes.public, question, lang=_check_lang(lang), threshold=threshold)
    if record and result.answer_id is not None:
        await count_answer(kb.store, result.answer_id, "auto")
    elif record and result.intent is Intent.QUESTION:
        await record_unanswered(kb.store, question, lang=lang, channel=channel)
    return result


async def suggest(ctx: Context, question: str, *, lang: str = "fr", limit: int = 5,
                  operators: bool = True) -> list[Suggestion]:
    """Ranked articles for a question: public ones, then (for operators) operators-only ones
    whose score beats the public hits (their scores come from a separate, smaller index)."""
    if not question.strip() or len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"a search needs 1 to {MAX_QUESTION_CHARS} characters")
    indexes = await knowledge_base(ctx).index.current()
    hits = [(h.score, h.article_id) for h in indexes.public.search(question, lang=_check_lang(lang), limit=limit)]
    if operators:
        hits += [(h.score, h.article_id) for h in indexes.operators.search(question, lang=lang, limit=limit)]
    hits.sort(key=lambda item: -item[0])
    return [Suggestion(i, indexes.articles[i].question, indexes.articles[i].audience, round(s, 4))
            for s, i in hits[:limit]]


async def get_live_article(ctx: Context, article_id: str) -> Article | None:
    """The published text of an article (what an answer sends), or None."""
    version = await knowledge_base(ctx).store.get_live(article_id)
    return None if version is None else version.article


def question_of(texts: Sequence[str]) -> str:
    """The question in a citizen's turn of messages: those that ask something, joined (greetings,
    thanks and "svp" teach search nothing), cut to MAX_QUESTION characters."""
    asked = [" ".join(text.split()) for text in texts if detect_intent(text) is Intent.QUESTION]
    return " ".join(asked)[:MAX_QUESTION].strip()


async def record_operator_answer(ctx: Context, question: str, article_id: str,
                                 operator: Principal) -> AlternateProposal | None:
    """An operator answered `question` with the article: count it and propose the question as
    an alternate phrasing, pending the cell's validation (None when already known or unusable)."""
    kb = knowledge_base(ctx)
    await kb.store.get(article_id)  # NotFound before anything is counted
    await count_answer(kb.store, article_id, "operator")
    text = " ".join(question.split())
    if not text or len(text) > MAX_QUESTION or detect_intent(text) is not Intent.QUESTION:
        return None  # nothing to learn from "merci" or "svp"
    try:
        return await propose_alternate(kb.store, article_id, text, actor=operator, source="operator-answer")
    except InvalidInput:
        return None  # only emoji or punctuation: nothing a search could learn from


async def missing_answers(ctx: Context) -> list[MissingAnswer]:
    """Clusters of questions that got no automatic answer, most asked first."""
    return cluster_unanswered(await unanswered_questions(knowledge_base(ctx).store))


async def write_article_from_cluster(ctx: Context, article: Article, members: Sequence[str], *,
                                     actor: Principal) -> ArticleVersion:
    """Save the cell's new article as a draft and take its cluster off the missing answers."""
    kb = knowledge_base(ctx)
    version = await kb.store.save_draft(article, actor=actor, reason="written from missing answers")
    await forget_unanswered(kb.store, list(members), actor=actor, article_id=article.id)
    return version


async def import_starter_articles(ctx: Context, scenario_id: str) -> ImportReport:
    """The scenario's starter articles, imported once: existing articles are left as they are."""
    articles = parse_article_lines(starter_articles_text(scenario_id).splitlines())
    return await import_articles(knowledge_base(ctx).store, articles, actor=STARTER_ACTOR,
                                 keep_existing=True)


async def on_crisis_activated(ctx: Context, event: Event) -> None:
    """Event handler: a crisis went live, bring its scenario's starter articles."""
    if event.type != EventType.CRISIS_ACTIVATED:
        return
    scenario = str(event.data.get("scenario", ""))
    if scenario:
        report = await import_starter_articles(ctx, scenario)
        log.info("starter articles imported", extra={"scenario": scenario, "report": report.summary()})
