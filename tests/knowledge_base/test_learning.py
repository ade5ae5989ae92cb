"""The learning loop: operators' answers become alternates after validation; missing answers cluster."""

from __future__ import annotations

from typing import Any

import pytest

from crisis.audit import read_audit
from crisis.context import Context
from crisis.errors import Forbidden, InvalidInput, NotFound
from crisis.types import Role
from knowledge_base import KnowledgeBase
from knowledge_base.article import MAX_ALTERNATES, Article
from knowledge_base.importing import import_articles, read_article_files
from knowledge_base.alternates import (
    AlternateProposal, group_by_article, pending_alternates, propose_alternate, reject_alternate,
    reject_alternates, validate_alternate, validate_alternates,
)
from knowledge_base.learning import top_articles
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from tests.conftest import CELL, OPERATOR, login
from tests.support.polling import until


QUESTION = "mon proprio veut pas rembourser la caution du studio ravagé"


@pytest.fixture
async def flood(ctx: Context, knowledge: KnowledgeBase) -> Context:
    await import_articles(knowledge.store, read_article_files(DATA / "kb-inondation.jsonl"), actor=CELL)
    return ctx


async def test_an_operator_answer_becomes_a_searchable_alternate_once_validated(
        flood: Context, knowledge: KnowledgeBase) -> None:
    before = await knowledge.suggest(QUESTION, limit=3)
    assert "declarer-sinistre" not in [s.id for s in before[:1]]
    proposal = await knowledge.record_operator_answer(QUESTION, "declarer-sinistre", OPERATOR)
    assert proposal is not None and proposal.source == "operator-answer"
    assert await knowledge.record_operator_answer(QUESTION.upper(), "declarer-sinistre", OPERATOR) is None
    assert [p.id for p in await pending_alternates(knowledge.store)] == [proposal.id]
    # Pending: not used by search yet.
    assert (await knowledge.suggest(QUESTION, limit=1))[0].id == before[0].id
    with pytest.raises(Forbidden):
        await validate_alternate(knowledge.store, proposal.id, actor=OPERATOR)
    version = await validate_alternate(knowledge.store, proposal.id, actor=CELL)
    assert QUESTION in version.article.alternates and version.status == "published"
    assert await pending_alternates(knowledge.store) == []
    found = await until(lambda: knowledge.suggest(QUESTION, limit=1),
                        ok=lambda s: s[0].id == "declarer-sinistre")
    assert found[0].id == "declarer-sinistre"
    result = await knowledge.answer_question(QUESTION, channel="chat")
    assert result.answer_id == "declarer-sinistre"
    top = await top_articles(knowledge.store)
    assert top[0] == {"id": "declarer-sinistre", "auto": 1, "operator": 2, "total": 3}


async def test_a_rejected_alternate_is_dropped(flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    proposal = await knowledge.record_operator_answer("c quoi ce bordel", "eau-potable", OPERATOR)
    assert proposal is not None
    await reject_alternate(store, proposal.id, actor=CELL)
    assert await pending_alternates(store) == []
    assert "c quoi ce bordel" not in (await store.get("eau-potable")).article.alternates


async def test_unanswered_questions_cluster_into_missing_answers(
        flood: Context, knowledge: KnowledgeBase) -> None:
    asked = ["la piscine municipale est elle fermee", "piscine fermee ?", "Piscine municipale fermée ??",
             "est ce que la piscine est fermee demain", "le marché de noël est annulé ?",
             "marche de noel annule", "bonjour", "😀"]
    for question in asked:
        result = await knowledge.answer_question(question, channel="sms")
        assert result.answer_id is None, question
    clusters = await knowledge.missing_answers()
    assert [c.count for c in clusters] == [4, 2]
    pool, market = clusters
    assert "piscine" in pool.label.lower() and pool.channels == {"sms": 4}
    assert "march" in market.label.lower()
    article = Article(id="piscine-fermee", question="La piscine municipale est-elle fermée ?",
                      answer="Oui, jusqu'à nouvel ordre.", alternates=list(pool.questions))
    version = await knowledge.write_article_from_cluster(article, pool.members, actor=CELL)
    assert version.status == "draft"
    assert [c.count for c in await knowledge.missing_answers()] == [2]


async def test_a_burst_of_the_same_unanswered_question_counts_every_one(
        flood: Context, knowledge: KnowledgeBase) -> None:
    """Sixty handlers at once (a surge of one rumour): none lost, none counted twice."""
    import asyncio

    from knowledge_base.learning import record_unanswered

    store = knowledge.store
    await asyncio.gather(*(record_unanswered(store, "la piscine est fermee ?", lang="fr",
                                             channel="sms" if n % 3 else "chat") for n in range(60)))
    [cluster] = await knowledge.missing_answers()
    assert cluster.count == 60 and cluster.channels == {"sms": 40, "chat": 20}


async def _propose(store: ArticleStore, article_id: str, *texts: str) -> list[AlternateProposal]:
    made = [await propose_alternate(store, article_id, text, actor=OPERATOR) for text in texts]
    return [p for p in made if p is not None]


async def test_a_repeated_phrasing_counts_on_its_pending_proposal(
        flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    [once] = await _propose(store, "eau-potable", "on peut boire l'eau du robinet ?")
    [first] = await _propose(store, "declarer-sinistre", "proprio veut pas rendre la caution")
    repeats = ["Proprio veut pas rendre la   caution", "PROPRIO VEUT PAS RENDRE LA CAUTION !",
               "propriô veut pas rendre la caution"]
    assert await _propose(store, "declarer-sinistre", *repeats) == []  # None: no new proposal
    pending = await pending_alternates(store)
    assert [(p.id, p.count) for p in pending] == [(first.id, 4), (once.id, 1)]  # most proposed first
    assert pending[0].proposed_by == OPERATOR.label() and pending[0].text == first.text
    # The same words for another article are another proposal; the article's own question is refused.
    [other] = await _propose(store, "eau-potable", "proprio veut pas rendre la caution")
    question = (await store.get("eau-potable")).article.question
    assert await _propose(store, "eau-potable", question.upper()) == []
    assert {p.id: p.count for p in await pending_alternates(store)} == {first.id: 4, once.id: 1, other.id: 1}
    assert [(a, [p.id for p in ps]) for a, ps in group_by_article(await pending_alternates(store))] == [
        ("declarer-sinistre", [first.id]), ("eau-potable", [once.id, other.id])]


async def test_the_same_new_phrasing_proposed_at_once_makes_one_proposal_counted_every_time(
        flood: Context, knowledge: KnowledgeBase) -> None:
    import asyncio

    store = knowledge.store
    made = await asyncio.gather(*(propose_alternate(store, "eau-potable", "l eau est elle potable la",
                                                    actor=OPERATOR) for _ in range(30)))
    assert len([p for p in made if p is not None]) == 1
    [proposal] = await pending_alternates(store)
    assert proposal.count == 30


async def test_bulk_validation_writes_one_version_per_article_with_every_phrasing(
        flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    water = await _propose(store, "eau-potable", "flotte du robinet ok ?", "on peut boire l eau", "eau ok bébé")
    claim = await _propose(store, "declarer-sinistre", "cave inondée assurance")
    before = {a: len(await store.history(a)) for a in ("eau-potable", "declarer-sinistre")}
    result = await validate_alternates(store, [p.id for p in water + claim], actor=CELL)
    assert result.phrasings == 4 and sorted(result.added) == ["declarer-sinistre", "eau-potable"]
    assert [v.id for v in result.versions] == ["eau-potable", "declarer-sinistre"]
    for article_id, count in before.items():
        assert len(await store.history(article_id)) == count + 1, article_id
    alternates = (await store.get("eau-potable")).article.alternates
    assert alternates[-3:] == ["flotte du robinet ok ?", "on peut boire l eau", "eau ok bébé"]
    assert "cave inondée assurance" in (await store.get("declarer-sinistre")).article.alternates
    assert await pending_alternates(store) == []
    audit = [e for e in await read_audit(flood.redis, flood.keys) if e.action == "kb.article.add-alternate"]
    assert sorted(e.target for e in audit) == ["declarer-sinistre", "eau-potable"]
    # Decided: the phrasing is now known, so it is refused rather than proposed again.
    assert await _propose(store, "eau-potable", "On peut boire l'eau") == []


async def test_a_batch_with_an_unknown_or_decided_id_names_them_and_writes_nothing(
        flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    first, second, third = await _propose(store, "eau-potable", "flotte ok ?", "eau bonne ?", "eau du puits ?")
    await reject_alternate(store, third.id, actor=CELL)
    versions = len(await store.history("eau-potable"))
    with pytest.raises(NotFound) as caught:
        await validate_alternates(store, [first.id, "alt-999", third.id, second.id], actor=CELL)
    assert "'alt-999'" in caught.value.message and f"'{third.id}'" in caught.value.message
    assert f"'{first.id}'" not in caught.value.message and "reload" in caught.value.message
    with pytest.raises(NotFound):
        await reject_alternates(store, [first.id, "alt-999"], actor=CELL)
    assert len(await store.history("eau-potable")) == versions
    assert [p.id for p in await pending_alternates(store)] == [first.id, second.id]
    with pytest.raises(Forbidden):
        await validate_alternates(store, [first.id], actor=OPERATOR)
    with pytest.raises(InvalidInput):
        await validate_alternates(store, [], actor=CELL)


async def test_a_batch_that_would_overfill_an_article_is_refused_whole(
        flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    full = Article(id="plein", question="Question pleine ?", answer="Oui.",
                   alternates=[f"formulation numero {n}" for n in range(MAX_ALTERNATES - 1)])
    await store.save_draft(full, actor=CELL)
    await store.move("plein", ArticleAction.PUBLISH, actor=CELL)
    proposals = await _propose(store, "plein", "encore une", "et une autre") + \
        await _propose(store, "eau-potable", "eau ok ?")
    with pytest.raises(InvalidInput, match="'plein'"):
        await validate_alternates(store, [p.id for p in proposals], actor=CELL)
    assert len(await pending_alternates(store)) == 3
    assert "eau ok ?" not in (await store.get("eau-potable")).article.alternates


async def test_bulk_rejection_drops_the_proposals_and_a_later_repeat_starts_a_new_count(
        flood: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    first, second = await _propose(store, "eau-potable", "c quoi ce bordel", "lol")
    await _propose(store, "eau-potable", "c quoi ce bordel")
    versions = len(await store.history("eau-potable"))
    rejected = await reject_alternates(store, [first.id, second.id], actor=CELL)
    assert [p.id for p in rejected] == [first.id, second.id]
    assert await pending_alternates(store) == [] and len(await store.history("eau-potable")) == versions
    audit = [e for e in await read_audit(flood.redis, flood.keys) if e.action == "kb.alternate.reject"]
    assert sorted(e.before or "" for e in audit) == sorted([first.id, second.id])
    [again] = await _propose(store, "eau-potable", "C quoi ce bordel")
    assert again.id != first.id and [p.count for p in await pending_alternates(store)] == [1]


async def test_the_api_decides_many_proposals_in_one_request(
        client: Any, ctx: Context, knowledge: KnowledgeBase) -> None:
    await import_articles(knowledge.store, read_article_files(DATA / "kb-inondation.jsonl"), actor=CELL)
    store = knowledge.store
    water = await _propose(store, "eau-potable", "flotte ok ?", "eau bonne ?")
    [claim] = await _propose(store, "declarer-sinistre", "cave inondée assurance")
    await _propose(store, "eau-potable", "eau bonne ?")
    operator = await login(client, ctx, "op", Role.OPERATOR)
    listed = await (await client.get("/api/kb/alternates?article=eau-potable")).json()
    assert [(p["text"], p["count"]) for p in listed["items"]] == [("eau bonne ?", 2), ("flotte ok ?", 1)]
    ids = [p.id for p in water]
    assert (await client.post("/api/kb/alternates/validate", json={"ids": ids}, headers=operator)).status == 403
    client.session.cookie_jar.clear()
    cell = await login(client, ctx, "chef", Role.CELL)
    unknown = await client.post("/api/kb/alternates/validate", json={"ids": [*ids, "alt-404"]}, headers=cell)
    assert unknown.status == 404 and "'alt-404'" in (await unknown.json())["error"]["message"]
    assert (await client.post("/api/kb/alternates/reject", json={"ids": []}, headers=cell)).status == 400
    validated = await client.post("/api/kb/alternates/validate", json={"ids": ids}, headers=cell)
    body = await validated.json()
    assert validated.status == 200 and body["phrasings"] == 2 and body["articles"] == 1
    assert body["added"] == {"eau-potable": ["flotte ok ?", "eau bonne ?"]}
    assert body["versions"][0]["article"]["alternates"][-2:] == ["flotte ok ?", "eau bonne ?"]
    rejected = await (await client.post("/api/kb/alternates/reject", json={"ids": [claim.id]}, headers=cell)).json()
    assert rejected["total"] == 1 and rejected["rejected"][0]["id"] == claim.id
    assert await pending_alternates(store) == []


async def test_a_dedupe_field_left_without_its_proposal_does_not_swallow_the_phrasing(
        flood: Context, knowledge: KnowledgeBase) -> None:
    """E.g. a pending proposal decided after the folding rules changed: its old field stays."""
    store = knowledge.store
    await flood.redis.hset(store.keys.alternate_index("phrasing"), "eau-potable\x1feau ok", "alt-404")
    [proposal] = await _propose(store, "eau-potable", "Eau OK ?")
    assert await _propose(store, "eau-potable", "eau ok") == []
    assert [(p.id, p.count) for p in await pending_alternates(store)] == [(proposal.id, 2)]


def test_the_question_of_a_turn_keeps_what_asks_something() -> None:
    from knowledge_base import question_of
    turn = ["bonjour", "ya  de l'eau dans\nla cave", "svp", "et la voiture ?", "merci"]
    assert question_of(turn) == "ya de l'eau dans la cave et la voiture ?"
    assert question_of(["svp", "merci", "je voudrais un humain"]) == ""
