"""The second look's model (knowledge_base/second_look.py): its constants are a refit's, and
it decides from generic evidence only.

Kept fast: the refit reads the features committed by `python -m
knowledge_base.tooling.second_look_fit --write` (every line of the ten crises run through the
product's own code, embeddings included), so no embedding is made here (seconds, not the
minutes of embedding the tool spends the first time)."""

from __future__ import annotations

import pytest

from knowledge_base import second_look
from knowledge_base.answer import feature_values
from knowledge_base.hits import QueryAnalysis, RankedHit
from knowledge_base.semantic import FusedRanking
from knowledge_base.tooling.cold_confidence import Chosen
from knowledge_base.tooling.second_look_fit import (
    CANDIDATES, TEN, JUDGED_LATER, as_data, read_features, shipped_fit)


@pytest.fixture(scope="module")
def refit() -> Chosen:
    return shipped_fit(as_data(read_features()))


def test_refitting_reproduces_the_committed_constants(refit: Chosen) -> None:
    model = second_look.SECOND_LOOK_MODEL
    assert refit.features == model.features
    assert refit.bias == model.bias
    assert refit.weights == model.weights
    assert refit.threshold == second_look.SECOND_LOOK_THRESHOLD


def test_the_committed_features_cover_the_ten_named_crises_only() -> None:
    lines = read_features()
    assert {line.crisis for line in lines} == set(TEN)
    assert set(JUDGED_LATER) <= set(TEN)  # named one by one: a later blind set is never read
    assert len(lines) == 2216


def test_the_features_are_generic_evidence_never_ids_or_words() -> None:
    allowed = set(feature_values(QueryAnalysis((), 0.0, 0))) | {
        "e5_cos", "e5_margin", "e5_first", "agree", "fused_margin"}
    for names in CANDIDATES.values():
        assert set(names) <= allowed
    assert set(second_look.SECOND_LOOK_MODEL.features) <= allowed


def _analysis(top: str, phrasings: int, known_terms: int = 3) -> QueryAnalysis:
    hit = RankedHit(top, 4.0, 0.8, 0.6, 0.5, char_similarity=0.3, phrasings=phrasings)
    other = RankedHit("other", 1.0, 0.2, 0.1, 0.1)
    return QueryAnalysis((hit, other), 5.0, 0, known_terms)


def test_a_confident_bare_top_is_answered_with_the_fused_top_hit() -> None:
    ranking = FusedRanking(["meaning", "word"], [2.5, 0.4], {"meaning": 0.9, "word": 0.7, "x": 0.6})
    decided = second_look.decide(_analysis("word", phrasings=1), ranking)
    assert decided.proposed == "meaning"
    assert decided.answer_id == "meaning" and decided.confidence >= second_look.SECOND_LOOK_THRESHOLD


def test_a_top_article_with_phrasings_or_no_known_word_is_not_the_second_looks() -> None:
    ranking = FusedRanking(["meaning"], [2.5], {"meaning": 0.9, "word": 0.7})
    assert second_look.decide(_analysis("word", phrasings=4), ranking).answer_id is None
    assert second_look.decide(_analysis("word", phrasings=1, known_terms=0), ranking).answer_id is None
    assert second_look.decide(_analysis("word", phrasings=1), None).answer_id is None


def test_a_close_call_by_meaning_is_left_to_the_operators() -> None:
    ranking = FusedRanking(["a", "b"], [1.01, 1.0], {"a": 0.80, "b": 0.80})
    assert second_look.decide(_analysis("b", phrasings=1), ranking).answer_id is None
