from __future__ import annotations

import numpy as np

from knowledge_base import answer
from knowledge_base.calibration import (calibrate, choose_threshold, figures, fit_logistic, out_of_fold, public_index,
                                         training_sets)


def test_refitting_reproduces_the_committed_constants() -> None:
    index = public_index()
    result = calibrate(index, training_sets(index))
    assert result.features == answer.CALIBRATION_FEATURES
    assert result.bias == answer.CALIBRATION_BIAS
    assert result.weights == answer.CALIBRATION_WEIGHTS
    assert result.threshold == answer.DEFAULT_THRESHOLD


def test_cross_validation_keeps_each_held_out_set_under_2_percent_wrong() -> None:
    index = public_index()
    result = calibrate(index, training_sets(index))
    assert set(result.cv) == {"main", *(f"holdout{n}" for n in ("", 2, 3, 4, 5, 6, 7))}
    assert all(f.wrong_rate <= 0.02 for f in result.cv.values())
    assert result.pooled.wrong_rate <= 0.015


def test_the_second_ranker_features_earn_their_place_out_of_fold() -> None:
    # The character-similarity features must raise the worst held-out set's answer share at the
    # same wrong-answer bounds, or they are noise the fit happens to like.
    index = public_index()
    sets = training_sets(index)
    l2 = calibrate(index, sets).l2
    without = [f for f in answer.CALIBRATION_FEATURES if not f.startswith("char_")]
    assert len(without) < len(answer.CALIBRATION_FEATURES)

    def worst(names: list[str] | tuple[str, ...]) -> float:
        oof = out_of_fold(sets, names, l2)
        t = choose_threshold(sets, oof)
        return min(figures(sets[n], oof[n], t).answered_share for n in sets)

    assert worst(answer.CALIBRATION_FEATURES) > worst(without)


def test_logistic_fit_recovers_a_known_separation() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + 2 * x[:, 0] - x[:, 1])))).astype(np.float64)
    bias, weights = fit_logistic(x, y, l2=0.01)
    assert abs(bias - 0.5) < 0.4 and abs(weights[0] - 2) < 0.6 and abs(weights[1] + 1) < 0.5
