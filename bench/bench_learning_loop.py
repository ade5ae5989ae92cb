"""Benchmark: how the auto-answer improves as the learning loop takes in operators' answers.

Each evaluation set is held out in turn. The other sets stand for the questions operators
answered earlier in the crisis: each article is taught at most K of them (drawn at random, the
same draw for every K), as validated phrasings (knowledge_base.tooling.learning_simulation), and
the held-out set is asked. K = 0 is the cold start, the baseline of the same run; plain BM25 is
printed beside it. Figures are pooled over the held-out sets, at the default threshold.

The confidence models were fitted on these sets (both states): the in-fit caveat of
docs/knowledge-base.md applies to the answer shares; precision@1 is the ranking alone.

Usage: python bench/bench_learning_loop.py [K ...]   (default: 0 1 2 4 8 16 all)
"""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge_base.search import SearchIndex  # noqa: E402
from knowledge_base.tooling.calibration_sets import DATA, TRAINING_SETS, public_articles  # noqa: E402
from knowledge_base.tooling.evaluation import (  # noqa: E402
    EvalLine, EvalReport, bm25_baseline, evaluate, parse_eval_lines,
)
from knowledge_base.tooling.learning_simulation import learned_articles  # noqa: E402

SEED = 20261130
ALL = 10_000  # "every answered question": more than any article gets


@dataclass
class Pooled:
    """Counts summed over the held-out sets."""

    answerable: int = 0
    total: int = 0
    top1: int = 0
    answered_right: int = 0
    wrong: int = 0
    taught: int = 0  # phrasings added to the articles, summed over the held-out runs

    def add(self, report: EvalReport) -> None:
        self.answerable += report.answerable
        self.total += report.total
        self.top1 += report.top1_correct
        self.answered_right += report.answered_correct
        self.wrong += report.wrong

    def row(self, label: str, runs: int, baseline: Pooled | None) -> str:
        p1 = self.top1 / self.answerable
        share = self.answered_right / self.answerable
        ratio = f"{share / (baseline.answered_right / baseline.answerable):5.2f}x" if baseline else "     -"
        return (f"{label:>9} {self.taught / max(runs, 1):>9.0f} {p1:>12.3f} {share:>9.1%} {ratio} "
                f"{self.wrong / self.total:>8.1%} ({self.wrong} of {self.total})")


def taught_lines(sets: dict[str, list[EvalLine]], held: str, k: int, rng_seed: int) -> list[EvalLine]:
    """At most `k` answered lines per article from the sets other than `held`, in a fixed random order."""
    by_article: dict[str, list[EvalLine]] = defaultdict(list)
    for name, lines in sets.items():
        if name != held:
            for line in lines:
                if line.expected is not None:
                    by_article[line.expected].append(line)
    chosen: list[EvalLine] = []
    for article_id in sorted(by_article):
        pool = by_article[article_id]
        random.Random(f"{rng_seed}-{article_id}").shuffle(pool)
        chosen.extend(pool[:k])
    return chosen


def main(ks: list[int]) -> None:
    articles = public_articles()
    raw = {name: (DATA / name).read_text(encoding="utf-8").splitlines() for name in TRAINING_SETS}
    sets = {name: parse_eval_lines(lines) for name, lines in raw.items()}
    started = time.perf_counter()
    bm25 = Pooled()
    for name in TRAINING_SETS:
        bm25.add(bm25_baseline(articles, raw[name]))
    results: dict[int, Pooled] = {}
    for k in ks:
        pooled = Pooled()
        for held in TRAINING_SETS:
            taught = taught_lines(sets, held, k, SEED)
            learned = learned_articles(articles, taught)
            pooled.taught += sum(len(a.alternates) for a in learned) - sum(len(a.alternates) for a in articles)
            pooled.add(evaluate(SearchIndex(learned), raw[held]))
        results[k] = pooled
    cold = results.get(0)
    print(f"{len(TRAINING_SETS)} held-out sets, {sum(len(s) for s in sets.values())} lines, "
          f"{len(articles)} articles; {time.perf_counter() - started:.1f} s")
    print(f"{'K/article':>9} {'taught':>9} {'precision@1':>12} {'answered':>9} {'vs K=0':>6} {'wrong':>8}")
    for k, pooled in results.items():
        print(pooled.row("all" if k >= ALL else str(k), len(TRAINING_SETS), cold if k else None))
    print(bm25.row("bm25", 0, cold))


if __name__ == "__main__":
    arguments = sys.argv[1:] or ["0", "1", "2", "4", "8", "16", "all"]
    main([ALL if a == "all" else int(a) for a in arguments])
