"""The learning loop's counts: questions left unanswered and answers given per article (the
proposed phrasings are in knowledge_base.alternates)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import cast

import msgspec

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.types import Principal, Role, utcnow
from knowledge_base.article import MAX_QUESTION
from knowledge_base.store import ArticleStore
from knowledge_base.text import tokenise

MAX_UNANSWERED = 20_000


class UnansweredQuestion(msgspec.Struct, kw_only=True):
    """Questions with the same normalised words that got no automatic answer."""

    key: str  # the normalised words (stems, sorted): the hash field
    question: str  # the latest wording, shown to the cell
    lang: str
    count: int
    channels: dict[str, int]
    last_at: dt.datetime
    first_at: dt.datetime | None = None  # None: recorded before first_at was kept
    # Questions per hour ("<epoch // 3600>" -> count), the current hour and the one before only.
    hours: dict[str, int] = {}


async def count_answer(store: ArticleStore, article_id: str, source: str) -> None:
    """Count one answer given with the article ("auto" or "operator")."""
    await store.redis.zincrby(store.keys.answers(source), 1, article_id)


async def count_answers(store: ArticleStore, article_ids: Sequence[str], source: str) -> None:
    """`count_answer` of each id (an id twice counts twice), in one round trip."""
    if not article_ids:
        return
    async with store.redis.pipeline(transaction=False) as pipe:
        for article_id, times in Counter(article_ids).items():
            pipe.zincrby(store.keys.answers(source), times, article_id)
        await pipe.execute()


async def top_articles(store: ArticleStore, limit: int = 20) -> list[dict[str, object]]:
    """Articles that answered most: automatic and operator answers, by total."""
    return _ranked_articles(*await _answer_counts(store), limit)


async def _answer_counts(store: ArticleStore) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(article id, answers) of the automatic answers and of the operators', in one round trip."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for source in ("auto", "operator"):
            pipe.zrange(store.keys.answers(source), 0, -1, withscores=True)
        auto, operator = await pipe.execute()
    return cast(list[tuple[str, float]], auto), cast(list[tuple[str, float]], operator)


def _ranked_articles(auto: list[tuple[str, float]], operator: list[tuple[str, float]],
                     limit: int) -> list[dict[str, object]]:
    counts: dict[str, dict[str, int]] = {}
    for source, pairs in (("auto", auto), ("operator", operator)):
        for article_id, score in pairs:
            counts.setdefault(article_id, {"auto": 0, "operator": 0})[source] = int(score)
    rows = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [{"id": i, **c, "total": sum(c.values())} for i, c in rows[:limit]]


async def situation_figures(store: ArticleStore, *, top: int = 5) -> dict[str, object]:
    """The knowledge base's section of the situation view: answers given automatically and by
    operators with an article, distinct questions left without an automatic answer, phrasings
    waiting for the cell, the articles that answered most. Two round trips; no hash is read whole."""
    auto, operator = await _answer_counts(store)
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.hlen(store.keys.unanswered)
        pipe.hlen(store.keys.alternates)
        unanswered, pending = await pipe.execute()
    automatic = int(sum(score for _, score in auto))
    by_operator = int(sum(score for _, score in operator))
    return {"automatic_answers": automatic, "operator_answers": by_operator,
            # Of the answers that used an article: the share the auto-answer gave, which the
            # learning loop raises as validated phrasings accumulate.
            "automatic_share": round(automatic / (automatic + by_operator), 3) if automatic + by_operator else None,
            "unanswered_questions": int(unanswered), "pending_phrasings": int(pending),
            "top_articles": _ranked_articles(auto, operator, top)}


def unanswered_key(question: str, lang: str) -> str:
    """Questions asked with the same content words, in any order, share one entry."""
    return " ".join(sorted(set(tokenise(question, lang))))[:300]


async def record_unanswered(store: ArticleStore, question: str, *, lang: str, channel: str,
                            at: dt.datetime | None = None) -> None:
    """Remember a question that got no automatic answer (bounded: at most MAX_UNANSWERED), in
    one atomic step (knowledge_base/learning_record_unanswered.lua); `at`: now unless given."""
    key = unanswered_key(question, lang)
    if not key:
        return
    now = at or utcnow()
    stamp = msgspec.json.encode(now).decode().strip('"')
    # A script, not WATCH + MULTI on the one hash every question shares: under a burst of
    # unanswered SMS the concurrent handlers kept invalidating each other's WATCH and retried,
    # the pipeline's costliest step.
    await store.record_unanswered_script(keys=[store.keys.unanswered], args=[
        f"{lang}:{key}", MAX_UNANSWERED, lang, question[:MAX_QUESTION], channel, stamp,
        int(now.timestamp()) // 3600])


async def unanswered_questions(store: ArticleStore) -> list[UnansweredQuestion]:
    raws = (await store.redis.hgetall(store.keys.unanswered)).values()
    return [msgspec.json.decode(r, type=UnansweredQuestion) for r in raws]


async def forget_unanswered(store: ArticleStore, keys: list[str], *, actor: Principal,
                            article_id: str | None = None) -> int:
    """Remove questions from the missing answers (covered by `article_id`, or dismissed)."""
    require_role(actor, Role.CELL, "manage missing answers")
    if not keys:
        return 0
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.hdel(store.keys.unanswered, *keys)
        add_audit(pipe, store.core, audit_entry(actor, "kb.missing.resolve", article_id or "dismissed",
                                                before=f"{len(keys)} questions"))
        results = await pipe.execute()
    return int(results[0])
