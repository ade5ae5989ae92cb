"""Per-article token analysis kept between index rebuilds: an article that did not change is not
folded and tokenised again, so a rebuild after one publication only re-reads what changed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from knowledge_base.article import Article

IntArray = npt.NDArray[np.int64]
# The text of an article that its tokens depend on (the id keeps two identical articles apart
# only for clarity; identical texts would share tokens safely).
ArticleKey = tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]]
# Segment fields in the order each article's segments are cached: answer, question, tags,
# one per alternate.
ANSWER_FIELD, QUESTION_FIELD, TAGS_FIELD, ALTERNATE_FIELD = 0, 1, 2, 3


def article_key(article: Article) -> ArticleKey:
    return (article.id, article.lang, article.question, article.answer, tuple(article.alternates),
            tuple(article.tags))


class TokenCache:
    """Folded tokens numbered once for every index of one (language, synonym table), plus the
    token numbers of each article's segments.

    A rebuild holds `lock` while it reads and fills the cache. Only the articles of the last
    two builds are kept, so memory follows the live set.
    """

    def __init__(self) -> None:
        self.tokens: list[str] = []  # token number -> folded token
        self._numbers: dict[str, int] = {}
        # The articles of the last two builds: the public and the operators' indexes are
        # rebuilt one after the other, and each must find its own articles.
        self._recent: dict[ArticleKey, tuple[IntArray, IntArray, IntArray]] = {}
        self._older: dict[ArticleKey, tuple[IntArray, IntArray, IntArray]] = {}
        self.lock = threading.Lock()

    def _number(self, tokens: list[str]) -> list[int]:
        numbers = self._numbers
        out = []
        for token in tokens:
            n = numbers.get(token)
            if n is None:
                n = numbers[token] = len(self.tokens)
                self.tokens.append(token)
            out.append(n)
        return out

    def article_tokens(self, articles: Sequence[Article], fold_words: Callable[[str], list[str]],
                       short_tokens: Callable[[str], list[str]]
                       ) -> tuple[list[IntArray], list[IntArray], list[IntArray]]:
        """Per article: token numbers of all its segments, each segment's length and its field.
        Call with `lock` held."""
        flats: list[IntArray] = []
        lengths: list[IntArray] = []
        fields: list[IntArray] = []
        kept: dict[ArticleKey, tuple[IntArray, IntArray, IntArray]] = {}
        for article in articles:
            key = article_key(article)
            cached = self._recent.get(key) or self._older.get(key)
            if cached is None:
                # Answers are long and written by the cell: no SMS pairs to undo, so fold only.
                segments = [fold_words(article.answer), short_tokens(article.question),
                            short_tokens(" ".join(article.tags))]
                segments += [short_tokens(alternate) for alternate in article.alternates]
                numbers = self._number([token for segment in segments for token in segment])
                field = [ANSWER_FIELD, QUESTION_FIELD, TAGS_FIELD,
                         *[ALTERNATE_FIELD] * len(article.alternates)]
                cached = (np.asarray(numbers, dtype=np.int64),
                          np.asarray([len(segment) for segment in segments], dtype=np.int64),
                          np.asarray(field, dtype=np.int64))
            kept[key] = cached
            flats.append(cached[0])
            lengths.append(cached[1])
            fields.append(cached[2])
        self._older, self._recent = self._recent, kept
        return flats, lengths, fields


_CACHES: dict[tuple[str, tuple[tuple[str, str], ...]], TokenCache] = {}
_CACHES_LOCK = threading.Lock()


def token_cache(lang: str, synonyms: Mapping[str, str]) -> TokenCache:
    """The shared cache for a language and synonym table (a changed table gets a new cache,
    since synonyms change the tokens of short fields)."""
    key = (lang, tuple(sorted(synonyms.items())))
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            if len(_CACHES) >= 8:  # old synonym tables: their articles will not come back
                _CACHES.clear()
            cache = _CACHES[key] = TokenCache()
        return cache
