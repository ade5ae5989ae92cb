from __future__ import annotations

import numpy as np

from knowledge_base import answer
from knowledge_base.calibration import calibrate, fit_logistic, public_index, training_sets


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
    assert set(result.cv) == {"main", "holdout", "holdout2", "holdout3"}
    assert all(f.wrong_rate <= 0.02 for f in result.cv.values())


def test_logistic_fit_recovers_a_known_separation() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + 2 * x[:, 0] - x[:, 1])))).astype(np.float64)
    bias, weights = fit_logistic(x, y, l2=0.01)
    assert abs(bias - 0.5) < 0.4 and abs(weights[0] - 2) < 0.6 and abs(weights[1] + 1) < 0.5
