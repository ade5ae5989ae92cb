"""The learning loop: operators' answers become alternates after validation; missing answers cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.context import Context
from crisis.errors import Forbidden
from knowledge_base.article import Article
from knowledge_base.importing import import_articles, read_article_files
from knowledge_base.learning import pending_alternates, reject_alternate, top_articles, validate_alternate
from knowledge_base.service import (
    answer_question, knowledge_base, missing_answers, record_operator_answer, suggest,
    write_article_from_cluster,
)
from tests.conftest import CELL, OPERATOR
from tests.knowledge_base.conftest import poll

DATA = Path(__file__).resolve().parent.parent / "data"
QUESTION = "mon proprio veut pas rembourser la caution du studio ravagé"


@pytest.fixture
async def flood(ctx: Context) -> Context:
    await import_articles(knowledge_base(ctx).store, read_article_files(DATA / "kb-inondation.jsonl"), actor=CELL)
    return ctx


async def test_an_operator_answer_becomes_a_searchable_alternate_once_validated(flood: Context) -> None:
    ctx = flood
    before = await suggest(ctx, QUESTION, limit=3)
    assert "declarer-sinistre" not in [s.id for s in before[:1]]
    proposal = await record_operator_answer(ctx, QUESTION, "declarer-sinistre", OPERATOR)
    assert proposal is not None and proposal.source == "operator-answer"
    assert await record_operator_answer(ctx, QUESTION.upper(), "declarer-sinistre", OPERATOR) is None
    assert [p.id for p in await pending_alternates(knowledge_base(ctx).store)] == [proposal.id]
    # Pending: not used by search yet.
    assert (await suggest(ctx, QUESTION, limit=1))[0].id == before[0].id
    with pytest.raises(Forbidden):
        await validate_alternate(knowledge_base(ctx).store, proposal.id, actor=OPERATOR)
    version = await validate_alternate(knowledge_base(ctx).store, proposal.id, actor=CELL)
    assert QUESTION in version.article.alternates and version.status == "published"
    assert await pending_alternates(knowledge_base(ctx).store) == []
    found = await poll(lambda: suggest(ctx, QUESTION, limit=1), lambda s: s[0].id == "declarer-sinistre")
    assert found[0].id == "declarer-sinistre"
    result = await answer_question(ctx, QUESTION, channel="chat")
    assert result.answer_id == "declarer-sinistre"
    top = await top_articles(knowledge_base(ctx).store)
    assert top[0] == {"id": "declarer-sinistre", "auto": 1, "operator": 2, "total": 3}


async def test_a_rejected_alternate_is_dropped(flood: Context) -> None:
    store = knowledge_base(flood).store
    proposal = await record_operator_answer(flood, "c quoi ce bordel", "eau-potable", OPERATOR)
    assert proposal is not None
    await reject_alternate(store, proposal.id, actor=CELL)
    assert await pending_alternates(store) == []
    assert "c quoi ce bordel" not in (await store.get("eau-potable")).article.alternates


async def test_unanswered_questions_cluster_into_missing_answers(flood: Context) -> None:
    ctx = flood
    asked = ["la piscine municipale est elle fermee", "piscine fermee ?", "Piscine municipale fermée ??",
             "est ce que la piscine est fermee demain", "le marché de noël est annulé ?",
             "marche de noel annule", "bonjour", "😀"]
    for question in asked:
        result = await answer_question(ctx, question, channel="sms")
        assert result.answer_id is None, question
    clusters = await missing_answers(ctx)
    assert [c.count for c in clusters] == [4, 2]
    pool, market = clusters
    assert "piscine" in pool.label.lower() and pool.channels == {"sms": 4}
    assert "march" in market.label.lower()
    article = Article(id="piscine-fermee", question="La piscine municipale est-elle fermée ?",
                      answer="Oui, jusqu'à nouvel ordre.", alternates=list(pool.questions))
    version = await write_article_from_cluster(ctx, article, pool.members, actor=CELL)
    assert version.status == "draft"
    assert [c.count for c in await missing_answers(ctx)] == [2]


async def test_a_burst_of_the_same_unanswered_question_counts_every_one(flood: Context) -> None:
    """Sixty handlers at once (a surge of one rumour): none lost, none counted twice."""
    import asyncio

    from knowledge_base.learning import record_unanswered

    store = knowledge_base(flood).store
    await asyncio.gather(*(record_unanswered(store, "la piscine est fermee ?", lang="fr",
                                             channel="sms" if n % 3 else "chat") for n in range(60)))
    [cluster] = await missing_answers(flood)
    assert cluster.count == 60 and cluster.channels == {"sms": 40, "chat": 20}
