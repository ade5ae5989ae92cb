"""The article store on a real Redis: lifecycle, roles, versions, live copies, audit, events, import."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from crisis.audit import read_audit
from crisis.context import Context
from crisis.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from knowledge_base import KnowledgeBase
from knowledge_base.answer import DEFAULT_THRESHOLD
from knowledge_base.article import Article
from knowledge_base.importing import export_lines, import_articles, read_article_files
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from knowledge_base.tuning import replace_synonyms, set_threshold, synonym_table, thresholds
from tests.conftest import CELL, OPERATOR, SUPERVISOR



def article(article_id: str = "sacs-sable", answer: str = "En mairie, de 8 h à 20 h.", **more: object) -> Article:
    return Article(id=article_id, question="Où trouver des sacs de sable ?", answer=answer, **more)  # type: ignore[arg-type]


@pytest.fixture
def store(knowledge: KnowledgeBase) -> ArticleStore:
    return knowledge.store


async def test_an_operator_drafts_and_only_the_cell_publishes(store: ArticleStore) -> None:
    draft = await store.save_draft(article(), actor=OPERATOR)
    assert (draft.version, draft.status, draft.author) == (1, "draft", OPERATOR.label())
    submitted = await store.move("sacs-sable", ArticleAction.SUBMIT, actor=OPERATOR)
    assert submitted.status == "submitted"
    for action in (ArticleAction.VALIDATE, ArticleAction.PUBLISH, ArticleAction.ARCHIVE):
        with pytest.raises(Forbidden):
            await store.move("sacs-sable", action, actor=SUPERVISOR)
    assert await store.get_live("sacs-sable") is None
    validated = await store.move("sacs-sable", ArticleAction.VALIDATE, actor=CELL)
    published = await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL, reason="ok")
    assert validated.validated_by == published.validated_by == CELL.label()
    assert published.author == OPERATOR.label() and published.published_at is not None
    assert (await store.get_live("sacs-sable")) == published
    assert [a.id for a in await store.published()] == ["sacs-sable"]


async def test_transitions_follow_the_table(store: ArticleStore) -> None:
    await store.save_draft(article(), actor=OPERATOR)
    with pytest.raises(InvalidTransition, match="allowed now: archive, edit, publish, submit, validate"):
        await store.move("sacs-sable", ArticleAction.REJECT, actor=CELL)
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    await store.move("sacs-sable", ArticleAction.ARCHIVE, actor=CELL)
    with pytest.raises(InvalidTransition):
        await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    with pytest.raises(NotFound):
        await store.move("absent", ArticleAction.SUBMIT, actor=OPERATOR)


async def test_editing_a_published_article_keeps_it_live_until_republished(store: ArticleStore) -> None:
    await store.save_draft(article(), actor=OPERATOR)
    first = await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    redraft = await store.save_draft(article(answer="En mairie et au gymnase."), actor=OPERATOR)
    assert redraft.status == "draft" and redraft.version == first.version + 1
    live = await store.get_live("sacs-sable")
    assert live is not None and live.article.answer == "En mairie, de 8 h à 20 h."
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    history = await store.history("sacs-sable")
    assert [v.action for v in history] == ["edit", "publish", "edit", "publish"]
    assert [v.version for v in history] == [1, 2, 3, 4]
    diff = await store.diff("sacs-sable", 2, 4)
    assert "-En mairie, de 8 h à 20 h." in diff and "+En mairie et au gymnase." in diff


async def test_every_write_is_audited_and_announced(ctx: Context, store: ArticleStore) -> None:
    await store.save_draft(article(), actor=OPERATOR)
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    actions = [e.action for e in await read_audit(ctx.redis, ctx.keys)]
    assert actions[:2] == ["kb.article.publish", "kb.article.edit"]
    events = [e.type for e in await ctx.bus.read_all()]
    assert events[-2:] == ["kb.article_drafted", "kb.article_published"]


async def test_links_must_exist_and_ids_are_slugs(store: ArticleStore) -> None:
    with pytest.raises(InvalidInput, match="publication 'nope'"):
        await store.save_draft(article(publications=["nope"]), actor=OPERATOR)
    with pytest.raises(InvalidInput, match="invalid article id"):
        await store.get("../etc")


async def test_import_is_all_or_nothing_with_line_numbers(tmp_path: Path, store: ArticleStore) -> None:
    good = msgspec.json.encode(article("a-un")).decode()
    (tmp_path / "a.jsonl").write_text(good + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(good.replace("a-un", "b-deux") + '\n{"id": "x", "oops": 1}\n',
                                      encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"b.jsonl: line 2: unknown field 'oops'"):
        read_article_files(tmp_path)
    assert await store.ids() == []


async def test_import_then_export_round_trips_and_reimport_changes_nothing(store: ArticleStore) -> None:
    articles = read_article_files(DATA / "kb-inondation.jsonl")
    report = await import_articles(store, articles, actor=CELL)
    assert report.created == len(articles) == 52
    with pytest.raises(Forbidden):
        await import_articles(store, articles, actor=OPERATOR)
    again = await import_articles(store, articles, actor=CELL)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 52)
    exported = await export_lines(store)
    decoded = [msgspec.json.decode(line, type=Article) for line in exported]
    assert decoded == sorted(articles, key=lambda a: a.id)


async def test_starter_articles_never_overwrite_the_cells_edits(store: ArticleStore,
                                                                knowledge: KnowledgeBase) -> None:
    first = await knowledge.import_starter_articles("inondation")
    assert first.created == 52
    await store.save_draft(article("eau-potable", "Texte de la cellule."), actor=CELL)
    second = await knowledge.import_starter_articles("inondation")
    assert (second.created, second.kept) == (0, 52)
    assert (await store.get("eau-potable")).article.answer == "Texte de la cellule."


async def test_synonyms_and_thresholds_are_the_cells(store: ArticleStore) -> None:
    with pytest.raises(Forbidden):
        await replace_synonyms(store, {"pinard": "vin"}, actor=OPERATOR)
    with pytest.raises(InvalidInput, match="lowercase"):
        await replace_synonyms(store, {"Pinard!": "vin"}, actor=CELL)
    generation = await store.generation()
    await replace_synonyms(store, {"pinard": "vin", "flotte": ""}, actor=CELL)
    table = await synonym_table(store)
    assert table["pinard"] == "vin" and "flotte" not in table and table["bagnole"] == "voiture"
    assert await store.generation() > generation
    await set_threshold(store, "sms", 0.95, actor=CELL)
    values = await thresholds(store)
    assert values["sms"] == 0.95 and values["chat"] == DEFAULT_THRESHOLD
    with pytest.raises(InvalidInput):
        await set_threshold(store, "sms", 0.1, actor=CELL)
    with pytest.raises(InvalidInput, match="unknown channel"):
        await set_threshold(store, "pigeon", 0.9, actor=CELL)
