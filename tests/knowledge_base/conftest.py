"""Shared fixtures: the flood knowledge base and its index, built once per test session."""

from __future__ import annotations


import pytest

from knowledge_base.article import Article, parse_article_lines
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.calibration_sets import DATA



@pytest.fixture(scope="session")
def flood_articles() -> list[Article]:
    with (DATA / "kb-inondation.jsonl").open(encoding="utf-8") as lines:
        articles = parse_article_lines(lines)
    return [a for a in articles if a.audience == "public" and a.status == "published"]


@pytest.fixture(scope="session")
def flood_index(flood_articles: list[Article]) -> SearchIndex:
    return SearchIndex(flood_articles)


