"""The evaluation sets as the calibration reads them: each line's features and whether the top
hit is right, at cold start and after the learning loop (see knowledge_base.tooling.calibration).

The sets ship with the package (knowledge_base/tooling/data/): a refit needs an installed
package, not a checkout and not a crisis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.answer import feature_values
from knowledge_base.article import Article, parse_article_lines
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.evaluation import EvalLine, parse_eval_lines
from knowledge_base.tooling.learning_simulation import learned_sets

# Package data (pyproject's package-data ships *.jsonl): read from an installed wheel as from a checkout.
DATA = Path(__file__).resolve().parent / "data"
ARTICLES = DATA / "kb-inondation.jsonl"
# The same articles as the flood scenario ships them (crisis/scenarios/inondation.articles.jsonl,
# the same file): ten more citizen phrasings each, written from the articles only, before
# any run, and checked mechanically against every evaluation line for near-copies. Not in the
# fit: measured with the models fitted on the two states above (docs/knowledge-base.md).
PREPARED = DATA / "kb-inondation-prepared.jsonl"
# The sets the constants are fitted on (the fourth holdout to the ninth were each first used
# unseen, to test the fit of the sets before them; then they joined the folds). holdout10 stays
# out: with eleven sets the per-set wrong-answer bound, taken on 22 line sets, raised the
# threshold to 0.92 and cut every answer share (pooled out of fold 62.7% -> 54.2%), so it is
# kept as the standing unseen set (tests/knowledge_base/test_evaluation.py; its file is in DATA).
TRAINING_SETS = ("kb-eval-inondation.jsonl", "kb-eval-inondation-holdout.jsonl",
                 "kb-eval-inondation-holdout2.jsonl", "kb-eval-inondation-holdout3.jsonl",
                 "kb-eval-inondation-holdout4.jsonl", "kb-eval-inondation-holdout5.jsonl",
                 "kb-eval-inondation-holdout6.jsonl", "kb-eval-inondation-holdout7.jsonl",
                 "kb-eval-inondation-holdout8.jsonl", "kb-eval-inondation-holdout9.jsonl")
# Suffix of a set's learned twin: its lines against the articles learned from the other sets.
LEARNED = "+learned"


@dataclass(frozen=True, slots=True)
class Line:
    """One evaluation line as the calibration sees it."""

    features: dict[str, float]  # empty when the line can never be answered (no hit, not a question)
    correct: bool  # the top hit is the expected article
    answerable: bool  # the line has an expected article


def lines_of(index: SearchIndex, items: Iterable[EvalLine]) -> list[Line]:
    result = []
    for item in items:
        analysis = index.analyse(item.q, lang=item.lang, limit=3)
        question = detect_intent(item.q) is Intent.QUESTION
        # The character fallback's candidates (no known word) are never answered: left out like no hit.
        features = feature_values(analysis) if analysis.hits and analysis.known_terms and question else {}
        correct = bool(analysis.hits) and analysis.hits[0].article_id == item.expected
        result.append(Line(features, correct, item.expected is not None))
    return result


def training_sets(index: SearchIndex, *, learned: bool = True) -> dict[str, list[Line]]:
    """Every training set's lines at cold start (articles as written) and, with `learned`, once
    more after the learning loop has taken in the other sets' questions (`NAME+learned`): the
    auto-answer runs in both states during a crisis, and one threshold must hold in both."""
    parsed = {_set_name(name): parse_eval_lines((DATA / name).read_text(encoding="utf-8").splitlines())
              for name in TRAINING_SETS}
    result = {name: lines_of(index, items) for name, items in parsed.items()}
    if learned:
        for name, (learned_index, items) in learned_sets(public_articles(), parsed).items():
            result[name + LEARNED] = lines_of(learned_index, items)
    return result


def _set_name(file_name: str) -> str:
    return file_name.removeprefix("kb-eval-inondation").removesuffix(".jsonl").lstrip("-") or "main"


def public_articles(path: Path = ARTICLES) -> list[Article]:
    with path.open(encoding="utf-8") as f:
        return [a for a in parse_article_lines(f) if a.audience == "public"]


def public_index() -> SearchIndex:
    return SearchIndex(public_articles())
