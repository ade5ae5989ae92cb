"""Shared fixtures: the flood knowledge base and its index, built once per test session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from knowledge_base.article import Article, parse_article_lines
from knowledge_base.search import SearchIndex

T = TypeVar("T")
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def flood_articles() -> list[Article]:
    with (DATA / "kb-inondation.jsonl").open(encoding="utf-8") as lines:
        articles = parse_article_lines(lines)
    return [a for a in articles if a.audience == "public" and a.status == "published"]


@pytest.fixture(scope="session")
def flood_index(flood_articles: list[Article]) -> SearchIndex:
    return SearchIndex(flood_articles)


async def poll(probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, within: float = 2.0) -> T:
    """Call `probe` until `ok(result)` or the deadline passes; returns the last result."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if ok(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.02)
