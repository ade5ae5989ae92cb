from __future__ import annotations

from pathlib import Path

import pytest

from crisis.errors import InvalidInput
from knowledge_base.article import Article
from knowledge_base.evaluation import EvalReport, bm25_baseline, evaluate, format_report, parse_eval_lines
from knowledge_base.search import SearchIndex

DATA = Path(__file__).resolve().parent.parent / "data"
SETS = ["kb-eval-inondation.jsonl", "kb-eval-inondation-holdout.jsonl", "kb-eval-inondation-holdout2.jsonl",
        "kb-eval-inondation-holdout3.jsonl", "kb-eval-inondation-holdout4.jsonl",
        "kb-eval-inondation-holdout5.jsonl", "kb-eval-inondation-holdout6.jsonl"]
# All seven fit the confidence and the re-ranker (knowledge_base.calibration, rerank_fit), and the
# re-ranker's memory holds their answerable lines: their figures here are in sample (a line finds
# itself in the memory); the out-of-fold figures are in docs/knowledge-base.md, 2026-11-30 (3).
# Written blind and run once (docs/knowledge-base.md, 2026-11-30 (3)): in no fit, no memory, no choice.
HOLDOUT7 = "kb-eval-inondation-holdout7.jsonl"


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module", params=SETS)
def report(request: pytest.FixtureRequest, flood_index: SearchIndex) -> EvalReport:
    return evaluate(flood_index, _lines(request.param))


def test_evaluation_sets_are_big_enough_and_include_out_of_scope() -> None:
    main = parse_eval_lines(_lines(SETS[0]))
    holdout = parse_eval_lines(_lines(SETS[1]))
    holdout2 = parse_eval_lines(_lines(SETS[2]))
    holdout3 = parse_eval_lines(_lines(SETS[3]))
    holdout4 = parse_eval_lines(_lines(SETS[4]))
    assert len(main) >= 120 and sum(i.expected is None for i in main) >= 20
    assert len(holdout) >= 50
    assert len(holdout2) >= 60 and sum(i.expected is None for i in holdout2) >= 8
    assert len(holdout3) >= 70 and sum(i.expected is None for i in holdout3) >= 10
    assert len(holdout4) >= 80 and sum(i.expected is None for i in holdout4) >= 12
    holdout5 = parse_eval_lines(_lines(SETS[5]))
    assert len(holdout5) >= 120 and sum(i.expected is None for i in holdout5) >= 25
    holdout6 = parse_eval_lines(_lines(SETS[6]))
    assert len(holdout6) >= 120 and sum(i.expected is None for i in holdout6) >= 25
    holdout7 = parse_eval_lines(_lines(HOLDOUT7))
    assert len(holdout7) >= 120 and sum(i.expected is None for i in holdout7) >= 25


def test_every_expected_id_exists(flood_articles: list[Article]) -> None:
    ids = {a.id for a in flood_articles}
    for name in [*SETS, HOLDOUT7]:
        assert {i.expected for i in parse_eval_lines(_lines(name)) if i.expected} <= ids


def test_precision_at_1_is_at_least_90_percent(flood_index: SearchIndex) -> None:
    for name in SETS:
        assert evaluate(flood_index, _lines(name)).precision_at_1 >= 0.90, name


def test_at_most_2_percent_of_all_questions_get_a_wrong_answer(report: EvalReport) -> None:
    assert report.wrong_rate <= 0.02, report.failures


def test_two_thirds_of_answerable_questions_get_an_automatic_answer(flood_index: SearchIndex) -> None:
    assert evaluate(flood_index, _lines(SETS[0])).answered_share >= 2 / 3


@pytest.mark.parametrize("name", SETS[1:])
def test_two_thirds_of_holdout_questions_get_an_automatic_answer(flood_index: SearchIndex, name: str) -> None:
    assert evaluate(flood_index, _lines(name)).answered_share >= 2 / 3


# The seventh holdout, unseen, run once with the engine of 0fe910b (re-ranker): it meets the
# wrong-answer target and misses the other two (the engine before it, same day: 40.0% answered,
# precision@1 0.758, 9 wrong of 120).
_SEVENTH_NOT_MET = "seventh holdout (unseen, single run): "


@pytest.mark.xfail(strict=True, reason=_SEVENTH_NOT_MET + "57.9% answered (55 of 95)")
def test_two_thirds_of_the_seventh_holdout_get_an_automatic_answer(flood_index: SearchIndex) -> None:
    assert evaluate(flood_index, _lines(HOLDOUT7)).answered_share >= 2 / 3


@pytest.mark.xfail(strict=True, reason=_SEVENTH_NOT_MET + "precision@1 0.821 (78 of 95)")
def test_precision_at_1_on_the_seventh_holdout(flood_index: SearchIndex) -> None:
    assert evaluate(flood_index, _lines(HOLDOUT7)).precision_at_1 >= 0.90


def test_wrong_answers_on_the_seventh_holdout(flood_index: SearchIndex) -> None:
    # 2 of 120 (1.7%) on its single run: two out-of-scope questions in the articles' words.
    assert evaluate(flood_index, _lines(HOLDOUT7)).wrong_rate <= 0.02


def test_we_beat_the_bm25_baseline(flood_articles: list[Article],
                                   flood_index: SearchIndex) -> None:
    for name in [*SETS, HOLDOUT7]:
        ours = evaluate(flood_index, _lines(name))
        baseline = bm25_baseline(flood_articles, _lines(name))
        assert ours.precision_at_1 > baseline.precision_at_1
        assert ours.wrong < baseline.wrong


def test_report_table_shows_both_columns(flood_articles: list[Article], flood_index: SearchIndex) -> None:
    lines = _lines(SETS[1])
    table = format_report(evaluate(flood_index, lines), bm25_baseline(flood_articles, lines))
    assert "precision@1" in table and "ours" in table and "bm25" in table and "wrong" in table


def test_bad_evaluation_lines_are_reported_with_numbers() -> None:
    with pytest.raises(InvalidInput, match="line 2"):
        parse_eval_lines(['{"q": "eau", "expected": null}', '{"question": "eau"}'])
