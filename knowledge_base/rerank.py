"""A learned re-ranker of the search's top candidates: a conditional logit (a softmax over the
candidates of one question) whose weights are fitted in plain numpy by `rerank_fit.py`.

Per candidate it weighs the evidence the search computes only for its top hit (coverage of the
question, phrasing overlaps, the second ranker, the most specific word), the candidate's score
relative to the top, its tag agreement with the other candidates, and its character similarity
to the questions labelled with that article in the evaluation sets (`rerank_memory.jsonl`).
The lexical evidence alone re-orders nothing out of fold (the search already weighs it); the
labelled questions carry the wording that tells neighbouring topics apart ("je tente le coup en
voiture" is about crossing a flooded road, not about a flooded car).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from knowledge_base.char_similarity import Profile, char_profile, query_profile
from knowledge_base.hits import QueryAnalysis, RankedHit
from knowledge_base.search import SearchIndex

# Candidates re-ordered: the right article is in the search's top 5 for 98% of the answerable
# lines of the seven sets, and each candidate costs one evidence pass.
DEPTH = 5
# The search's evidence that needs a pass over each candidate's postings (coverage, phrasing
# cover and recall, the most specific word) re-ordered nothing more out of fold: left out, it
# is computed only for the re-ranker's top hit, for the confidence.
FEATURES: tuple[str, ...] = ("log_score_ratio", "search_first", "phrasing", "char_similarity", "char_gap",
                             "tag_agreement", "memory", "memory_gap")
# Fitted by `python -m knowledge_base.rerank_fit` on the sets of calibration.TRAINING_SETS;
# tests/knowledge_base/test_rerank.py checks they are a refit's. All zeros keep the search's order.
RERANK_L2 = 1.0
RERANK_WEIGHTS: tuple[float, ...] = (2.394, 0.742, -0.396, 0.111, 0.55, -0.579, 1.979, 3.337)
_MEMORY = FEATURES.index("memory")
RERANK_EVIDENCE = ("rerank_probability", "memory", "memory_gap")
MEMORY_FILE = Path(__file__).resolve().parent / "rerank_memory.jsonl"

FloatArray = npt.NDArray[np.float64]


class Labelled(msgspec.Struct, frozen=True):
    """A citizen's question and the article that answers it."""

    q: str
    expected: str
    lang: str = "fr"


class Memory:
    """Character 4-gram profiles of labelled questions, weighted by each gram's rarity among the
    labelled questions (so the frame most questions share, "est-ce que ... fermé demain", counts
    for little and the subject for much), searchable by inverted lists: the best cosine of a
    question with each article's labelled questions costs one bincount. `reference` gives the
    questions the rarity is counted on (the items by default)."""

    def __init__(self, items: Sequence[Labelled], reference: Sequence[Labelled] | None = None) -> None:
        df: dict[tuple[str, str], int] = {}
        for item in reference if reference is not None else items:
            for gram in char_profile(item.q, item.lang):
                df[(item.lang, gram)] = df.get((item.lang, gram), 0) + 1
        n = len(reference if reference is not None else items)
        self._idf = {key: math.log(1.0 + n / count) for key, count in df.items()}
        self._max_idf = math.log(1.0 + n) if n else 1.0
        grams: dict[tuple[str, str], int] = {}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        self.articles: list[tuple[str, str]] = []  # (lang, article id) of each labelled question
        for row, item in enumerate(items):
            self.articles.append((item.lang, item.expected))
            for gram, w in self._weighted(char_profile(item.q, item.lang), item.lang).items():
                cols.append(grams.setdefault((item.lang, gram), len(grams)))
                rows.append(row)
                weights.append(w)
        self._grams = grams
        order = np.argsort(np.asarray(cols, dtype=np.int64), kind="stable")
        self._rows = np.asarray(rows, dtype=np.int64)[order]
        self._weights = np.asarray(weights, dtype=np.float64)[order]
        self._offsets = np.zeros(len(grams) + 1, dtype=np.int64)
        np.cumsum(np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(grams)), out=self._offsets[1:])
        by_article: dict[tuple[str, str], list[int]] = {}
        for row, key in enumerate(self.articles):
            by_article.setdefault(key, []).append(row)
        self._by_article = {key: np.asarray(found, dtype=np.int64) for key, found in by_article.items()}

    def _weighted(self, profile: Profile, lang: str) -> Profile:
        """The profile times each gram's rarity, back to unit length (a gram no labelled question
        has counts as the rarest)."""
        weighted = {g: w * self._idf.get((lang, g), self._max_idf) for g, w in profile.items()}
        norm = math.sqrt(sum(w * w for w in weighted.values()))
        return {g: w / norm for g, w in weighted.items()} if norm > 0 else {}

    def knows(self, lang: str, article_id: str) -> bool:
        """Whether some labelled question names this article."""
        return (lang, article_id) in self._by_article

    def best(self, query: str, lang: str, article_ids: Sequence[str]) -> list[float]:
        """For each article, the best cosine of `query` with one of its labelled questions."""
        profile = self._weighted(query_profile(query, lang), lang)
        found = [(self._grams[(lang, g)], w) for g, w in profile.items() if (lang, g) in self._grams]
        if not found or not self.articles:
            return [0.0] * len(article_ids)
        columns = np.fromiter((c for c, _ in found), dtype=np.int64, count=len(found))
        starts, ends = self._offsets[columns], self._offsets[columns + 1]
        lengths = ends - starts
        # Every posting row of the query's grams in one gather, each times the query's weight.
        at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        products = self._weights[at] * np.repeat(np.fromiter((w for _, w in found), dtype=np.float64,
                                                             count=len(found)), lengths)
        sims = np.bincount(self._rows[at], weights=products, minlength=len(self.articles))
        out = []
        for article_id in article_ids:
            mine = self._by_article.get((lang, article_id))
            out.append(float(sims[mine].max()) if mine is not None else 0.0)
        return out


def load_memory(path: Path = MEMORY_FILE) -> Memory:
    decoder = msgspec.json.Decoder(Labelled)
    with path.open(encoding="utf-8") as f:
        return Memory([decoder.decode(line) for line in f if line.strip()])


_LOADED: list[Memory] = []


def default_memory() -> Memory:
    """The packaged memory, loaded on first use (about 50 ms)."""
    if not _LOADED:
        _LOADED.append(load_memory())
    return _LOADED[0]


@dataclass(frozen=True, slots=True)
class Candidates:
    """The search's top candidates of one question (full evidence on the first only)."""

    analysis: QueryAnalysis  # hits in search order
    features: FloatArray  # one row per hit, columns as FEATURES
    tags: tuple[frozenset[str], ...]


def candidates(index: SearchIndex, query: str, lang: str, memory: Memory | None, depth: int = DEPTH) -> Candidates:
    """The top `depth` hits of the search with the re-ranker's features."""
    analysis = index.analyse(query, lang=lang, limit=depth)
    if not analysis.hits:
        return Candidates(analysis, np.zeros((0, len(FEATURES))), ())
    language = index._languages[lang]  # the tags: see `with_evidence` on the private access
    tags = tuple(language.tags[_numbers(language)[h.article_id]] for h in analysis.hits)
    ids = [h.article_id for h in analysis.hits]
    remembered = memory.best(query, lang, ids) if memory is not None else [0.0] * len(ids)
    return Candidates(analysis, features(analysis.hits, tags, remembered), tags)


# Article number of each id, per language index (built once per index, dropped with it).
_DOC_NUMBERS: weakref.WeakKeyDictionary[object, dict[str, int]] = weakref.WeakKeyDictionary()


def _numbers(language: object) -> dict[str, int]:
    numbers = _DOC_NUMBERS.get(language)
    if numbers is None:
        numbers = {article_id: doc for doc, article_id in enumerate(getattr(language, "ids"))}
        _DOC_NUMBERS[language] = numbers
    return numbers


def with_evidence(index: SearchIndex, query: str, lang: str, found: Candidates, positions: Sequence[int]) -> Candidates:
    """`found` with the full evidence (coverage, phrasing cover and recall, most specific word)
    on the hits at `positions`: the search computes it for its own top hit only, and the
    confidence needs it on the re-ranker's. The same computation, through the language index
    (private on purpose: the evidence must stay the search's own, whatever it becomes)."""
    wanted = [p for p in positions if p > 0]
    if not wanted:
        return found
    language = index._languages[lang]
    sequence, _, _ = language.query_terms(query)
    known = sorted({t for t in sequence if t is not None})
    hits = list(found.analysis.hits)
    for p in wanted:
        h = hits[p]
        hits[p] = language._ranked(_numbers(language)[h.article_id], h.score, known, found.analysis.query_mass,
                                   h.phrasing_match, True, h.char_similarity)
    return replace(found, analysis=replace(found.analysis, hits=tuple(hits)))


def _gaps(values: Sequence[float]) -> list[float]:
    """Each value minus the best of the others (positive only for the best one)."""
    return [v - max((o for j, o in enumerate(values) if j != i), default=0.0) for i, v in enumerate(values)]


def features(hits: Sequence[RankedHit], tags: Sequence[frozenset[str]], memory: Sequence[float]) -> FloatArray:
    """One row of FEATURES per candidate."""
    top = max(hits[0].score, 1e-9)
    char_gap = _gaps([h.char_similarity for h in hits])
    memory_gap = _gaps(memory)
    rows = []
    for i, h in enumerate(hits):
        others = len(hits) - 1
        agree = sum(1 for j in range(len(hits)) if j != i and not tags[i].isdisjoint(tags[j])) / others if others else 0.0
        rows.append((math.log(max(h.score, 1e-9) / top), 1.0 if i == 0 else 0.0, h.phrasing_match,
                     h.char_similarity, char_gap[i], agree, memory[i], memory_gap[i]))
    return np.asarray(rows, dtype=np.float64)


def order(features: FloatArray, weights: Sequence[float]) -> tuple[list[int], list[float]]:
    """Candidate positions by learned score, best first (the search's order on a tie), and each
    candidate's probability of being the right one under the softmax of the fit."""
    if not len(features):
        return [], []
    scores = features @ np.asarray(weights, dtype=np.float64)
    p = np.exp(scores - scores.max())
    p /= p.sum()
    return sorted(range(len(scores)), key=lambda i: (-round(float(scores[i]), 9), i)), p.tolist()


def reranked(found: Candidates, weights: Sequence[float] = RERANK_WEIGHTS,
             ranked: tuple[list[int], list[float]] | None = None) -> tuple[QueryAnalysis, dict[str, float]]:
    """The analysis with its hits in the learned order (neighbour tag of the new top two), and
    the re-ranker's evidence on its top hit for the confidence: its softmax probability
    (`rerank_probability`), its best cosine with a labelled question (`memory`) and that minus
    the best of the other candidates' (`memory_gap`); all 0 without hits."""
    if not found.analysis.hits:
        return found.analysis, dict.fromkeys(RERANK_EVIDENCE, 0.0)
    positions, probability = ranked or order(found.features, weights)
    hits = tuple(found.analysis.hits[i] for i in positions)
    neighbour = len(positions) >= 2 and not found.tags[positions[0]].isdisjoint(found.tags[positions[1]])
    top = positions[0]
    evidence = {"rerank_probability": probability[top], "memory": float(found.features[top, _MEMORY]),
                "memory_gap": float(found.features[top, _MEMORY + 1])}
    return replace(found.analysis, hits=hits, neighbour_tag=neighbour), evidence


def analyse(index: SearchIndex, query: str, lang: str = "fr") -> tuple[QueryAnalysis, dict[str, float] | None]:
    """Re-ranked hits of `query`, the top one with full evidence, for the auto-answer and the
    evaluation, and the re-ranker's evidence on it. When the memory has no labelled question for
    any candidate (another scenario's articles, new articles), the weights were never fitted for
    that case: the search's order is kept and the evidence is None (the confidence then uses the
    calibration of the search's own top hit)."""
    found = candidates(index, query, lang, default_memory())
    memory = default_memory()
    if not any(memory.knows(lang, h.article_id) for h in found.analysis.hits):
        return found.analysis, None
    ranked = order(found.features, RERANK_WEIGHTS)
    return reranked(with_evidence(index, query, lang, found, ranked[0][:1]), RERANK_WEIGHTS, ranked)
