"""One consistent view of the auto-answer, for asking many questions at once (the CLI)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from crisis.errors import InvalidInput
from knowledge_base.answer import MAX_QUESTION_CHARS, AutoAnswer, auto_answer
from knowledge_base.article import Article
from knowledge_base.hits import SearchHit
from knowledge_base.intents import Intent
from knowledge_base.search import SearchIndex
from knowledge_base.semantic import SemanticIndex


@dataclasses.dataclass(frozen=True)
class AnswerSnapshot:
    """The public index, its articles and one channel's threshold, as they were when taken:
    every question asked of it is answered alike, and nothing is recorded."""

    index: SearchIndex
    articles: Mapping[str, Article]  # every published article by id (operators-only ones too)
    threshold: float
    # The public articles' embeddings when operators' suggestions use them (semantic.py).
    semantic: SemanticIndex | None = None

    def answer(self, question: str, *, lang: str = "fr") -> AutoAnswer:
        """The automatic answer, or none; InvalidInput on an empty or over-long question."""
        return auto_answer(self.index, question, lang=lang, threshold=self.threshold)

    def answer_citizen(self, text: str, *, lang: str = "fr") -> AutoAnswer:
        """`KnowledgeBase.answer_citizen` without recording anything: a message searched on
        its first MAX_QUESTION_CHARS characters, one with nothing to search an EMPTY intent."""
        try:
            return self.answer(text[:MAX_QUESTION_CHARS], lang=lang)
        except InvalidInput:
            return AutoAnswer(text, None, 0.0, (), Intent.EMPTY)

    def suggestions(self, question: str, *, lang: str = "fr", limit: int = 5) -> list[SearchHit]:
        """The articles an operator is offered for `question`, best first: the lexical
        ranking, fused with the embeddings when the snapshot has them (the automatic
        answer never uses them)."""
        if self.semantic is None:
            return self.index.search(question, lang=lang, limit=limit)
        return self.semantic.suggest(self.index, question, limit, lang)

    def article(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    def public_articles(self) -> list[Article]:
        return [a for a in self.articles.values() if a.audience == "public"]
