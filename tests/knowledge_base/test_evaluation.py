from __future__ import annotations

import pytest

from crisis.errors import InvalidInput
from crisis.scenarios import starter_articles_text
from knowledge_base.article import Article, parse_article_lines
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.calibration_sets import DATA, PREPARED, public_articles
from knowledge_base.answer import auto_answer
from knowledge_base.tooling.evaluation import EvalReport, bm25_baseline, evaluate, format_report, parse_eval_lines
from knowledge_base.tooling.learning_simulation import learned_articles, learned_sets

SETS = ["kb-eval-inondation.jsonl", "kb-eval-inondation-holdout.jsonl", "kb-eval-inondation-holdout2.jsonl",
        "kb-eval-inondation-holdout3.jsonl", "kb-eval-inondation-holdout4.jsonl",
        "kb-eval-inondation-holdout5.jsonl", "kb-eval-inondation-holdout6.jsonl",
        "kb-eval-inondation-holdout7.jsonl", "kb-eval-inondation-holdout8.jsonl",
        "kb-eval-inondation-holdout9.jsonl"]  # all ten fit the confidence (knowledge_base.tooling.calibration)


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
    for name in [*SETS[5:], UNSEEN]:
        lines = parse_eval_lines(_lines(name))
        assert len(lines) >= 120 and sum(i.expected is None for i in lines) >= 24, name


def test_every_expected_id_exists(flood_articles: list[Article]) -> None:
    ids = {a.id for a in flood_articles}
    for name in [*SETS, UNSEEN]:
        assert {i.expected for i in parse_eval_lines(_lines(name)) if i.expected} <= ids


# Figures at the default threshold (0.91 since the 2026-12-02 query expansion; 0.9 before) with all ten sets in the fit (docs/knowledge-base.md,
# 2026-11-30 (4)). Each holdout was written blind and run once before it joined the fit; those
# single runs are the honest unseen figures and are in the docs. Strict xfails: a fix shows up.
def _not_met(name: str, figure: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"{name} (in the fit): {figure}")


def _cases(met: list[str], missed: dict[str, str]) -> list[object]:
    return [*met, *(pytest.param(name, marks=_not_met(name, figure), id=name)
                    for name, figure in missed.items())]


@pytest.mark.parametrize("name", _cases(SETS[:5], {
    SETS[5]: "precision@1 0.821 (78 of 95)", SETS[6]: "precision@1 0.863 (82 of 95)",
    SETS[7]: "precision@1 0.758 (72 of 95)", SETS[8]: "precision@1 0.719 (69 of 96)",
    SETS[9]: "precision@1 0.674 (64 of 95)"}))
def test_precision_at_1_is_at_least_90_percent(flood_index: SearchIndex, name: str) -> None:
    assert evaluate(flood_index, _lines(name)).precision_at_1 >= 0.90


def test_at_most_2_percent_of_all_questions_get_a_wrong_answer(report: EvalReport) -> None:
    assert report.wrong_rate <= 0.02, report.failures


@pytest.mark.parametrize("name", _cases(SETS[:2], {
    SETS[2]: "60.6% answered (40 of 66)", SETS[3]: "54.8% answered (46 of 84)",
    SETS[4]: "65.6% answered (59 of 90)", SETS[5]: "32.6% answered (31 of 95)",
    SETS[6]: "48.4% answered (46 of 95)", SETS[7]: "25.3% answered (24 of 95)",
    SETS[8]: "24.0% answered (23 of 96)", SETS[9]: "22.1% answered (21 of 95)"}))
def test_two_thirds_of_answerable_questions_get_an_automatic_answer(flood_index: SearchIndex,
                                                                    name: str) -> None:
    assert evaluate(flood_index, _lines(name)).answered_share >= 2 / 3


# After the learning loop: each set against the articles once operators' answers to the other
# sets' questions are validated phrasings (knowledge_base.tooling.learning_simulation); the set never
# teaches itself. Figures at the default threshold, both confidence models in the fit.
@pytest.fixture(scope="module")
def learned(flood_articles: list[Article]) -> dict[str, tuple[SearchIndex, list[str]]]:
    parsed = {name: parse_eval_lines(_lines(name)) for name in SETS}
    return {name: (index, _lines(name)) for name, (index, _) in learned_sets(flood_articles, parsed).items()}


@pytest.mark.parametrize("name", _cases([*SETS[:8], SETS[9]], {SETS[8]: "precision@1 0.896 (86 of 96)"}))
def test_after_the_learning_loop_precision_at_1_is_at_least_90_percent(learned: dict[str, tuple[SearchIndex, list[str]]],
                                                                      name: str) -> None:
    assert evaluate(*learned[name]).precision_at_1 >= 0.90


@pytest.mark.parametrize("name", SETS)
def test_after_the_learning_loop_at_most_2_percent_get_a_wrong_answer(learned: dict[str, tuple[SearchIndex, list[str]]],
                                                                     name: str) -> None:
    report = evaluate(*learned[name])
    assert report.wrong_rate <= 0.02, report.failures


@pytest.mark.parametrize("name", SETS)
def test_after_the_learning_loop_two_thirds_get_an_automatic_answer(
        learned: dict[str, tuple[SearchIndex, list[str]]], name: str) -> None:
    assert evaluate(*learned[name]).answered_share >= 2 / 3


# The articles as the flood scenario ships them (knowledge_base/tooling/data/kb-inondation-prepared.jsonl: ten more
# citizen phrasings each, written from the articles only). Not in the fit; docs/knowledge-base.md,
# 2026-11-30 (4).
@pytest.fixture(scope="module")
def prepared_index() -> SearchIndex:
    return SearchIndex(public_articles(PREPARED))


def test_prepared_articles_answer_more_than_the_bare_ones(flood_index: SearchIndex,
                                                          prepared_index: SearchIndex) -> None:
    bare = [evaluate(flood_index, _lines(name)) for name in SETS]
    prepared = [evaluate(prepared_index, _lines(name)) for name in SETS]
    assert sum(r.answered_correct for r in prepared) > 1.2 * sum(r.answered_correct for r in bare)
    assert sum(r.top1_correct for r in prepared) > sum(r.top1_correct for r in bare)
    assert sum(r.wrong for r in prepared) <= 0.02 * sum(r.total for r in prepared)


@pytest.mark.parametrize("name", _cases([*SETS[:6], SETS[7]], {
    SETS[6]: "precision@1 0.853 (81 of 95)", SETS[8]: "precision@1 0.865 (83 of 96)",
    SETS[9]: "precision@1 0.811 (77 of 95)"}))
def test_prepared_precision_at_1_is_at_least_90_percent(prepared_index: SearchIndex, name: str) -> None:
    assert evaluate(prepared_index, _lines(name)).precision_at_1 >= 0.90


@pytest.mark.parametrize("name", _cases(SETS[:9], {SETS[9]: "3 wrong of 120 (2.5%)"}))
def test_prepared_at_most_2_percent_get_a_wrong_answer(prepared_index: SearchIndex, name: str) -> None:
    report = evaluate(prepared_index, _lines(name))
    assert report.wrong_rate <= 0.02, report.failures


@pytest.mark.parametrize("name", [*SETS[:3], SETS[4], *(pytest.param(name, marks=_not_met(name, figure), id=name)
                                                      for name, figure in {
    SETS[3]: "63.1% answered (53 of 84)", SETS[5]: "60.0% answered (57 of 95)",
    SETS[6]: "60.0% answered (57 of 95)", SETS[7]: "54.7% answered (52 of 95)",
    SETS[8]: "46.9% answered (45 of 96)", SETS[9]: "41.1% answered (39 of 95)"}.items())])
def test_prepared_two_thirds_get_an_automatic_answer(prepared_index: SearchIndex, name: str) -> None:
    assert evaluate(prepared_index, _lines(name)).answered_share >= 2 / 3


def test_we_beat_the_bm25_baseline(flood_articles: list[Article],
                                   flood_index: SearchIndex) -> None:
    for name in SETS:
        ours = evaluate(flood_index, _lines(name))
        baseline = bm25_baseline(flood_articles, _lines(name))
        assert ours.precision_at_1 > baseline.precision_at_1
        assert ours.wrong < baseline.wrong


def test_report_table_shows_both_columns(flood_articles: list[Article], flood_index: SearchIndex) -> None:
    lines = _lines(SETS[1])
    table = format_report(evaluate(flood_index, lines), bm25_baseline(flood_articles, lines))
    assert "precision@1" in table and "ours" in table and "bm25" in table and "wrong" in table


def test_the_menu_figures_count_what_the_queue_notice_would_offer(
        flood_index: SearchIndex) -> None:
    """Lines left to the operators get a menu when the engine offers one; right when the
    expected article is in it: counted line by line against the engine's own answer."""
    lines = _lines(SETS[1])
    report = evaluate(flood_index, lines, choices=3)
    offered = right = 0
    for item in parse_eval_lines(lines):
        fast = auto_answer(flood_index, item.q, lang=item.lang)
        if fast.answer_id is None and fast.choices(3):
            offered += 1
            right += item.expected in fast.choices(3)
    assert (report.offered, report.offered_right) == (offered, right)
    assert 0 < report.offered_right <= report.offered
    assert report.offered_right + report.answered_correct <= report.answerable
    assert evaluate(flood_index, lines, choices=0).offered == 0  # CRISIS_KB_CHOICES=0
    table = format_report(report, bm25_baseline([], lines))
    assert f"{report.offered_right} ({report.offered_right_share:.1%} of answerable)" in table


def test_bad_evaluation_lines_are_reported_with_numbers() -> None:
    with pytest.raises(InvalidInput, match="line 2"):
        parse_eval_lines(['{"q": "eau", "expected": null}', '{"question": "eau"}'])


def test_the_flood_scenario_ships_the_prepared_articles() -> None:
    # The figures above hold for a real flood crisis only if its starter articles are these; same
    # ids, so `crisis kb eval` of these sets runs as is on a centre with the flood crisis live.
    shipped = parse_article_lines(starter_articles_text("inondation").splitlines())
    assert [a for a in shipped if a.audience == "public"] == public_articles(PREPARED)


# holdout10: the first hours of a flood, mostly SMS, written blind and kept out of the fit
# (knowledge_base/tooling/calibration_sets.py). Its single run, engine aeb7392, is in the strict xfails.
UNSEEN = "kb-eval-inondation-holdout10.jsonl"


@pytest.fixture(scope="module")
def unseen_reports(flood_articles: list[Article], prepared_index: SearchIndex,
                   flood_index: SearchIndex) -> dict[str, EvalReport]:
    taught = [line for name in SETS for line in parse_eval_lines(_lines(name))]
    learned = SearchIndex(learned_articles(flood_articles, taught))
    return {state: evaluate(index, _lines(UNSEEN))
            for state, index in (("bare", flood_index), ("prepared", prepared_index), ("learned", learned))}


def _unseen(state: str, missed: str | None) -> object:
    return state if missed is None else pytest.param(state, marks=pytest.mark.xfail(
        strict=True, reason=f"holdout10, {state}: {missed}"), id=state)


@pytest.mark.parametrize("state", [_unseen("bare", "precision@1 0.663 (63 of 95)"),
                                   _unseen("prepared", "precision@1 0.842 (80 of 95)"), _unseen("learned", None)])
def test_unseen_precision_at_1_is_at_least_90_percent(unseen_reports: dict[str, EvalReport], state: str) -> None:
    assert unseen_reports[state].precision_at_1 >= 0.90


@pytest.mark.parametrize("state", ["bare", "prepared", "learned"])
def test_unseen_at_most_2_percent_get_a_wrong_answer(unseen_reports: dict[str, EvalReport], state: str) -> None:
    assert unseen_reports[state].wrong_rate <= 0.02, unseen_reports[state].failures


@pytest.mark.parametrize("state", [_unseen("bare", "12.6% answered (12 of 95)"),
                                   _unseen("prepared", "34.7% answered (33 of 95)"),
                                   _unseen("learned", "60.0% answered (57 of 95)")])
def test_unseen_two_thirds_get_an_automatic_answer(unseen_reports: dict[str, EvalReport], state: str) -> None:
    assert unseen_reports[state].answered_share >= 2 / 3
