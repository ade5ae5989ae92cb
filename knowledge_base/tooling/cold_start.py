"""The crisis-start measurement on the tuning sets: articles bare (question and answer only, as a
hurried cell writes them), every flood set and the storm tuning set, with the empty candidate lists.

`python -m knowledge_base.tooling.cold_start [-v]` prints one row per set and the pooled figures
(-v lists the misses). Tuning only: the judging sets (data/cold/) are never read here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from knowledge_base.article import Article, parse_article_lines
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.evaluation import EvalReport, evaluate, parse_eval_lines

DATA = Path(__file__).resolve().parent / "data"
FLOOD_SETS = ("kb-eval-inondation.jsonl", *(f"kb-eval-inondation-holdout{s}.jsonl"
                                           for s in ("", "2", "3", "4", "5", "6", "7", "8", "9", "10")))
# (articles, eval sets): the flood articles and the storm set written for this tuning.
CORPORA = {"inondation": ("kb-inondation.jsonl", FLOOD_SETS), "tempete": ("kb-tempete.jsonl", ("kb-eval-tempete.jsonl",))}


def bare(article: Article) -> Article:
    """The article as a hurried cell writes it: question and answer, no phrasings, no tags."""
    import msgspec

    return msgspec.structs.replace(article, alternates=[], tags=[], sms_text=None)


def bare_articles(name: str) -> list[Article]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [bare(a) for a in parse_article_lines(f) if a.audience == "public" and a.status == "published"]


def run(verbose: bool = False) -> list[tuple[str, EvalReport]]:
    rows: list[tuple[str, EvalReport]] = []
    for articles_file, sets in CORPORA.values():
        index = SearchIndex(bare_articles(articles_file))
        for name in sets:
            text = (DATA / name).read_text(encoding="utf-8").splitlines()
            report = evaluate(index, text)
            rows.append((name.removeprefix("kb-eval-").removesuffix(".jsonl"), report))
            if verbose:
                for failure in report.failures:
                    print("  WRONG", failure)
                items = parse_eval_lines(text)
                for item in items:
                    hits = [h.article_id for h in index.search(item.q, lang=item.lang, limit=3)]
                    if item.expected is not None and hits[:1] != [item.expected]:
                        print(f"  MISS {item.q!r} expected {item.expected} got {hits}")
    return rows


def print_rows(rows: Sequence[tuple[str, EvalReport]]) -> None:
    print(f"{'set':28} {'p@1':>6} {'r@3':>6} {'answered':>9} {'wrong':>7} {'empty':>6}")
    totals = [0] * 7
    for name, r in rows:
        print(f"{name:28} {r.precision_at_1:6.3f} {r.recall_at_3:6.3f} {r.answered_share:9.1%} "
              f"{r.wrong_rate:7.1%} {r.empty:6d}")
        for i, v in enumerate((r.answerable, r.top1_correct, r.top3_correct, r.answered_correct, r.wrong,
                               r.total, r.empty)):
            totals[i] += v
    a, p1, r3, ok, wrong, total, empty = totals
    print(f"{'pooled':28} {p1 / a:6.3f} {r3 / a:6.3f} {ok / a:9.1%} {wrong / total:7.1%} {empty:6d}")


if __name__ == "__main__":
    start = time.perf_counter()
    print_rows(run("-v" in sys.argv))
    print(f"{time.perf_counter() - start:.1f} s")
