"""The search's candidate selection (knowledge_base/scoring.py) against a plain sort."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base.scoring import kth_largest, top_candidates


def _best(scores: np.ndarray, depth: int) -> list[float]:
    return sorted((float(v) for v in scores if v > 0), reverse=True)[:depth]


@settings(max_examples=200, deadline=None)
@given(n=st.sampled_from([5, 100, 961, 1_921, 5_000, 12_000]), depth=st.sampled_from([1, 5, 30]),
       zeros=st.floats(0.0, 0.99), distinct=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_the_candidates_are_the_best_positive_scores_at_every_index_size(
        n: int, depth: int, zeros: float, distinct: int, seed: int) -> None:
    """Sizes on both sides of the sampled bound's thresholds (32 and 64 times the depth), few
    distinct values (ties) and many zeros, as the BM25 sums of a short query give."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(1, distinct + 1, n).astype(np.float64) * rng.random()
    scores[rng.random(n) < zeros] = 0.0
    found = top_candidates(scores, depth)
    assert len(set(found.tolist())) == len(found)
    assert sorted((float(scores[i]) for i in found), reverse=True) == _best(scores, depth)


def test_kth_largest_is_exact_and_leaves_its_input_alone() -> None:
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    assert [kth_largest(values, k) for k in (1, 2, 3, 8)] == [9.0, 6.0, 5.0, 1.0]
    assert values.tolist() == [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
