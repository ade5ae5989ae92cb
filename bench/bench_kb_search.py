"""Benchmark: knowledge-base search latency and rebuild time on 10,000 generated articles, against bm25s.

Usage: python bench/bench_kb_search.py [ROUNDS]
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import bm25s
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge_base.article import Article, parse_article_lines  # noqa: E402
from knowledge_base.search import SearchIndex  # noqa: E402
from knowledge_base.text import fold, tokenise  # noqa: E402
from knowledge_base.tooling.calibration_sets import ARTICLES as FLOOD_ARTICLES  # noqa: E402

SEED = 20240601
ARTICLES = 10_000
QUERIES = 1_000
# Several rounds, each on a fresh index: the median resists bursts of load from other processes.
ROUNDS = 5
_SMS = {"quand": "qd", "pourquoi": "pk", "beaucoup": "bcp", "dans": "ds", "pour": "pr", "que": "ke"}


def _vocabulary(rng: random.Random) -> list[str]:
    """Real French words from the flood articles plus invented ones, for a 20,000-word vocabulary."""
    seed_words = sorted({w for a in parse_article_lines(FLOOD_ARTICLES.open(encoding="utf-8"))
                         for w in fold(f"{a.question} {a.answer}").split() if len(w) > 2})
    syllables = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "on", "ent",
                 "ion", "eur", "ais", "que", "tre"]
    invented = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(20_000)}
    return seed_words + sorted(invented)


def _sentence(rng: random.Random, words: list[str], weights: list[float], low: int, high: int) -> str:
    return " ".join(rng.choices(words, weights, k=rng.randint(low, high)))


def generate_articles(rng: random.Random) -> list[Article]:
    """10,000 articles shaped like real ones: short question, a few alternates, a 60-200 word answer."""
    words = _vocabulary(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf-like frequencies
    rng.shuffle(weights)
    articles = []
    for n in range(ARTICLES):
        articles.append(Article(
            id=f"article-{n}",
            question=_sentence(rng, words, weights, 6, 14) + " ?",
            answer=_sentence(rng, words, weights, 60, 200),
            alternates=[_sentence(rng, words, weights, 3, 8) for _ in range(rng.randint(2, 6))],
            tags=rng.choices(words, weights, k=rng.randint(1, 4)),
        ))
    return articles


def _noisy(rng: random.Random, text: str) -> str:
    """A citizen's version: no accents, SMS spellings, a typo in one word in five, part of the words."""
    out = []
    for word in fold(text).split():
        word = _SMS.get(word, word)
        if len(word) > 4 and rng.random() < 0.2:
            i = rng.randrange(len(word) - 1)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        out.append(word)
    keep = max(2, len(out) * 2 // 3)
    return " ".join(out[:keep])


def generate_queries(rng: random.Random, articles: list[Article]) -> list[str]:
    queries = []
    for _ in range(QUERIES):
        article = rng.choice(articles)
        queries.append(_noisy(rng, rng.choice([article.question, *article.alternates])))
    return queries


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def _time_queries(index: SearchIndex, model: bm25s.BM25, queries: list[str]) -> tuple[list[float], list[float]]:
    """Per-query seconds, ours and bm25s interleaved so both see the same machine load."""
    ours: list[float] = []
    theirs: list[float] = []
    for query in queries:
        t0 = time.perf_counter()
        index.search(query, limit=5)
        t1 = time.perf_counter()
        tokens = [t for t in tokenise(query) if t in model.vocab_dict]
        if tokens:
            scores = model.get_scores(tokens)
            top = np.argpartition(-scores, 5)[:5]
            top[np.argsort(-scores[top])]
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
    return ours, theirs


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    rng = random.Random(SEED)
    articles = generate_articles(rng)
    queries = generate_queries(rng, articles)

    start = time.perf_counter()
    index = SearchIndex(articles)
    cold_build = time.perf_counter() - start
    start = time.perf_counter()
    model = bm25s.BM25()
    model.index([tokenise(f"{a.question} {a.answer}") for a in articles], show_progress=False)
    bm25_build = time.perf_counter() - start

    print(json.dumps({"python": platform.python_version(), "machine": platform.processor() or platform.machine(),
                      "articles": ARTICLES, "queries": QUERIES, "rounds": rounds}))
    print(f"{'':10} {'rebuild s':>9} {'ours p50':>9} {'ours p99':>9} {'bm25s p50':>9} {'bm25s p99':>9} "
          f"{'p50 ratio':>9} {'p99 ratio':>9}")
    rows = []
    for n in range(rounds):
        # Each round is a fresh index (a rebuild with the per-article token cache warm), so
        # every round starts with cold query caches, as after a publication.
        start = time.perf_counter()
        index = SearchIndex(articles)
        rebuild = time.perf_counter() - start
        ours, theirs = _time_queries(index, model, queries)
        ours_p50, ours_p99 = _percentiles(ours)
        bm_p50, bm_p99 = _percentiles(theirs)
        rows.append((rebuild, ours_p50, ours_p99, bm_p50, bm_p99, ours_p50 / bm_p50, ours_p99 / bm_p99))
        print(f"round {n + 1:<4} " + " ".join(f"{v:9.3f}" for v in rows[-1]))
    median = [statistics.median(column) for column in zip(*rows)]
    print(f"{'median':10} " + " ".join(f"{v:9.3f}" for v in median))
    print(f"first build {cold_build:.2f} s (empty token and stem caches); bm25s index {bm25_build:.2f} s; "
          f"times in ms except rebuild")


if __name__ == "__main__":
    main()
