from __future__ import annotations

import numpy as np

from knowledge_base import answer
import pytest

from knowledge_base.tooling.calibration import (TwoStates, calibrate_states, choose_threshold, figures,
                                                fit_logistic, learned_state, out_of_fold)
from knowledge_base.tooling.calibration_sets import LEARNED, Line, public_index, training_sets

COLD_SETS = ("main", *(f"holdout{n}" for n in ("", 2, 3, 4, 5, 6, 7, 8, 9)))


@pytest.fixture(scope="module")
def sets() -> dict[str, list[Line]]:
    return training_sets(public_index())


@pytest.fixture(scope="module")
def states(sets: dict[str, list[Line]]) -> TwoStates:
    return calibrate_states(sets)


def test_refitting_reproduces_the_committed_constants(states: TwoStates) -> None:
    for fitted, committed in ((states.cold, answer.COLD_MODEL), (states.learned, answer.LEARNED_MODEL)):
        assert fitted.features == committed.features
        assert fitted.bias == committed.bias
        assert fitted.weights == committed.weights
    assert states.cold.threshold == states.learned.threshold == answer.DEFAULT_THRESHOLD


def test_cross_validation_keeps_each_held_out_set_under_2_percent_wrong_in_both_states(states: TwoStates) -> None:
    assert set(states.cv) == {*COLD_SETS, *(name + LEARNED for name in COLD_SETS)}
    assert all(f.wrong_rate <= 0.02 for f in states.cv.values())
    assert states.pooled.wrong_rate <= 0.015


def test_the_learning_loop_raises_the_answer_share_of_every_unseen_set(states: TwoStates) -> None:
    # Out of fold: neither the model nor the learned phrasings saw the held-out set.
    for name in COLD_SETS:
        assert states.cv[name + LEARNED].answered_share > states.cv[name].answered_share, name


@pytest.mark.parametrize("name", COLD_SETS)
def test_after_the_learning_loop_two_thirds_of_unseen_wording_is_answered(states: TwoStates, name: str) -> None:
    # Out of fold: neither the model nor the learned phrasings saw the held-out set.
    assert states.cv[name + LEARNED].answered_share >= 2 / 3


def test_the_learned_state_gets_its_own_model_for_busy_articles(sets: dict[str, list[Line]]) -> None:
    cold = [line for name in COLD_SETS for line in sets[name] if line.features]
    learned = [line for name in COLD_SETS for line in sets[name + LEARNED] if line.features]
    assert not any(learned_state(line) for line in cold)  # the articles as written stay cold
    assert sum(learned_state(line) for line in learned) >= 0.95 * len(learned)


def test_the_second_ranker_features_earn_their_place_out_of_fold(sets: dict[str, list[Line]],
                                                                 states: TwoStates) -> None:
    # The character-similarity features must raise the worst held-out set's answer share at the
    # same wrong-answer bounds, or they are noise the fit happens to like.
    sets = {name: sets[name] for name in COLD_SETS}
    l2 = states.cold.l2
    without = [f for f in answer.COLD_MODEL.features if not f.startswith("char_")]
    assert len(without) < len(answer.COLD_MODEL.features)

    def worst(names: list[str] | tuple[str, ...]) -> float:
        oof = out_of_fold(sets, names, l2)
        t = choose_threshold(sets, oof)
        return min(figures(sets[n], oof[n], t).answered_share for n in sets)

    assert worst(answer.COLD_MODEL.features) > worst(without)


def test_logistic_fit_recovers_a_known_separation() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + 2 * x[:, 0] - x[:, 1])))).astype(np.float64)
    bias, weights = fit_logistic(x, y, l2=0.01)
    assert abs(bias - 0.5) < 0.4 and abs(weights[0] - 2) < 0.6 and abs(weights[1] + 1) < 0.5
