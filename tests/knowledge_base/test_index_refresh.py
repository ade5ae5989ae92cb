"""Every process's index follows Redis: a publication is searchable everywhere within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from crisis.context import open_context
from crisis.settings import Settings
from knowledge_base import KnowledgeBase
from knowledge_base.article import Article
from knowledge_base.lifecycle import ArticleAction
from tests.conftest import CELL, OPERATOR
from tests.support.polling import until


QUESTION = "ou trouver des sacs de sable"
SAND = Article(id="sacs-sable", question="Où trouver des sacs de sable ?",
               answer="À la mairie, de 8 h à 20 h.", alternates=["distribution de sacs de sable"])


@pytest.fixture
async def other(settings: Settings, redis_url: str) -> AsyncIterator[KnowledgeBase]:
    """A second process's knowledge base on the same Redis (its own context and index)."""
    context = open_context(settings, redis_url)
    yield KnowledgeBase.from_context(context)
    await context.close()


async def _answered(kb: KnowledgeBase) -> str | None:
    return (await kb.answer_question(QUESTION, record=False)).answer_id


async def test_a_publication_reaches_another_process_within_a_second(
        knowledge: KnowledgeBase, other: KnowledgeBase) -> None:
    assert await _answered(other) is None  # the other process has built its (empty) index
    store = knowledge.store
    await store.save_draft(SAND, actor=OPERATOR)
    published_at = time.monotonic()
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    assert await until(lambda: _answered(other), ok=lambda a: a == "sacs-sable") == "sacs-sable"
    assert time.monotonic() - published_at < 1.0
    await store.move("sacs-sable", ArticleAction.ARCHIVE, actor=CELL)
    archived_at = time.monotonic()
    assert await until(lambda: _answered(other), ok=lambda a: a is None) is None
    assert time.monotonic() - archived_at < 1.0


async def test_the_background_loop_rebuilds_without_any_request(
        knowledge: KnowledgeBase, other: KnowledgeBase) -> None:
    index = other.index
    stop = asyncio.Event()
    task = asyncio.create_task(index.keep_fresh(stop))
    try:
        first = await until(index.current, ok=lambda i: True)
        store = knowledge.store
        await store.save_draft(SAND, actor=OPERATOR)
        await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
        target = await store.generation()
        started = time.monotonic()

        async def rebuilt() -> bool:
            return index.rebuilds >= 2

        await until(rebuilt, timeout=2.0, every=0.02)
        current = await index.current()
        assert current.generation == target > first.generation
        assert time.monotonic() - started < 1.0
    finally:
        stop.set()
        await task


async def test_citizens_never_get_operators_only_articles(knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    internal = Article(id="consigne-sacs", question="Consigne interne : stock de sacs de sable",
                       answer="Ne pas annoncer le stock.", audience="operators",
                       alternates=["ou trouver des sacs de sable"])
    await store.save_draft(internal, actor=CELL)
    await store.move("consigne-sacs", ArticleAction.PUBLISH, actor=CELL)
    assert await until(lambda: knowledge.suggest(QUESTION), ok=lambda s: bool(s)) != []
    suggestions = await knowledge.suggest(QUESTION)
    assert [s.id for s in suggestions] == ["consigne-sacs"]
    assert await knowledge.suggest(QUESTION, operators=False) == []
    assert await _answered(knowledge) is None
