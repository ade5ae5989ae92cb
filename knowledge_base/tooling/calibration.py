"""Fitting the auto-answer's confidence: logistic regression in plain numpy, cross-validated by
leaving one whole evaluation set out (each set was written separately, so a held-out set stands
for wording the fit has not seen).

Two models are fitted, one per state of an article (cold: as the cell wrote it; learned: after the
learning loop added operators' questions to it), on the sets of
`knowledge_base.tooling.calibration_sets`.

Refit with `python -m knowledge_base.tooling.calibration`, from any directory (the sets ship
with the package): it prints the cross-validation figures of every candidate feature set and
the constants to copy into `knowledge_base/answer.py`. Needs no Redis and no crisis.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from knowledge_base.answer import LEARNED_PHRASINGS
from knowledge_base.tooling.calibration_sets import LEARNED, Line, public_index, training_sets

_COMPACT = ("coverage", "margin", "phrasing", "phrasing_margin", "unknown_share", "terms")
_CHAR = ("char_similarity", "char_margin")
# Candidate feature sets, from the old five upwards; cross-validation picks one.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "old5": ("coverage", "title", "margin", "normalised", "phrasing"),
    "old5+pm+words": ("coverage", "title", "margin", "normalised", "phrasing", "phrasing_margin",
                      "unknown_share", "corrected_share", "terms", "single_term"),
    "compact": _COMPACT,
    "compact+cover": (*_COMPACT, "phrasing_cover"),
    "compact+neighbour": (*_COMPACT, "neighbour"),
    "compact+cover+neighbour": (*_COMPACT, "phrasing_cover", "neighbour"),
    "compact+explained": (*_COMPACT, "explained_terms"),
    "compact+char": (*_COMPACT, *_CHAR),
    "compact+char+explained": (*_COMPACT, *_CHAR, "explained_terms"),
    "compact+char+explained+neighbour": (*_COMPACT, *_CHAR, "explained_terms", "neighbour"),
    "compact+char+explained+cover": (*_COMPACT, *_CHAR, "explained_terms", "phrasing_cover"),
    "compact+char+explained+recall": (*_COMPACT, *_CHAR, "explained_terms", "phrasing_recall"),
    "compact+char+explained+recall+specific": (*_COMPACT, *_CHAR, "explained_terms", "phrasing_recall",
                                               "specific_missing"),
    "compact+char+explained+specific": (*_COMPACT, *_CHAR, "explained_terms", "specific_missing"),
}
# Each again with the top hit's phrasing count, which tells a learned article (dozens of
# phrasings from the learning loop) from one as the cell wrote it.
CANDIDATES |= {f"{label}+phrasings": (*names, "phrasings") for label, names in list(CANDIDATES.items())}
# And with the kNN vote of the closest phrasings (since 2026-11-30 (4): it is what many learned
# phrasings are good for).
CANDIDATES |= {f"{label}+vote": (*names, "vote") for label, names in list(CANDIDATES.items())}
L2_VALUES = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = tuple(round(0.50 + 0.01 * i, 2) for i in range(46))
# The threshold is the lowest one whose pooled out-of-fold wrong rate stays under this bound,
# with no held-out set over 2%: a margin under the 2% (9 wrong in the 604 lines), since
# unseen sets vary. With six sets the per-set bound is usually the binding one.
MAX_POOLED_WRONG = 0.015
MAX_FOLD_WRONG = 0.02

FloatArray = npt.NDArray[np.float64]


def fit_logistic(x: FloatArray, y: FloatArray, l2: float,
                 weights: FloatArray | None = None) -> tuple[float, tuple[float, ...]]:
    """Bias and weights minimising the log loss (each line counted `weights` times, once
    when None) plus l2/2 * |weights|^2 (Newton's method)."""
    a = np.hstack([np.ones((len(x), 1)), x])
    counts = np.ones(len(x)) if weights is None else weights
    w = np.zeros(a.shape[1])
    penalty = np.full(a.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        grad = a.T @ (counts * (p - y)) + penalty * w
        hessian = (a * (counts * p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return float(w[0]), tuple(float(v) for v in w[1:])


def _matrix(lines: Sequence[Line], names: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    rows = [line for line in lines if line.features]
    x = np.asarray([[line.features[n] for n in names] for line in rows], dtype=np.float64).reshape(len(rows), len(names))
    return x, np.asarray([1.0 if line.correct else 0.0 for line in rows])


def predict(lines: Sequence[Line], names: Sequence[str], bias: float, weights: Sequence[float]) -> FloatArray:
    """Confidence per line (0 for lines that can never be answered)."""
    out = np.zeros(len(lines))
    for i, line in enumerate(lines):
        if line.features:
            z = bias + sum(w * line.features[n] for w, n in zip(weights, names))
            out[i] = 1.0 / (1.0 + np.exp(-z))
    return out


@dataclass(frozen=True, slots=True)
class Figures:
    answered_share: float  # right automatic answers / answerable lines
    wrong: int
    total: int

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What `figures` needs of a set of lines, read once: the threshold search asks for the
    figures of the same sets at every threshold (Python loops over the lines each time were
    two thirds of a calibration's time)."""
    correct: npt.NDArray[np.bool_]
    answerable: int

    @classmethod
    def of(cls, lines: Sequence[Line]) -> Outcomes:
        return cls(np.fromiter((bool(line.correct) for line in lines), dtype=np.bool_,
                               count=len(lines)),
                   sum(1 for line in lines if line.answerable))

    def at(self, confidence: FloatArray, threshold: float) -> Figures:
        answered = confidence >= threshold
        right = int(np.count_nonzero(answered & self.correct))
        wrong = int(np.count_nonzero(answered & ~self.correct))
        return Figures(right / self.answerable if self.answerable else 0.0, wrong,
                       len(self.correct))


def figures(lines: Sequence[Line], confidence: FloatArray, threshold: float) -> Figures:
    assert len(lines) == len(confidence)
    return Outcomes.of(lines).at(confidence, threshold)


def fold_of(name: str) -> str:
    """The set a line set comes from: a set and its learned twin are held out together."""
    return name.removesuffix(LEARNED)


def out_of_fold(sets: Mapping[str, Sequence[Line]], names: Sequence[str], l2: float) -> dict[str, FloatArray]:
    """Each set's confidences from a fit on the other sets only (neither regime of its own)."""
    result = {}
    # Each set's rows read once, then stacked per fold: the same matrix as reading the
    # training lines afresh for each held-out set (which was a third of the time left).
    blocks = {name: _matrix(lines, names) for name, lines in sets.items()}
    for held in sets:
        train = [blocks[name] for name in sets if fold_of(name) != fold_of(held)]
        x = np.concatenate([block[0] for block in train])
        y = np.concatenate([block[1] for block in train])
        bias, weights = fit_logistic(x, y, l2)
        result[held] = predict(sets[held], names, bias, weights)
    return result


def choose_threshold(sets: Mapping[str, Sequence[Line]], oof: Mapping[str, FloatArray],
                     lowest: float = 0.0) -> float:
    """The lowest threshold (from `lowest` up) meeting the wrong-answer bounds with `oof`."""
    pooled = Outcomes.of([line for lines in sets.values() for line in lines])
    confidence = np.concatenate([oof[name] for name in sets])
    outcomes = {name: Outcomes.of(lines) for name, lines in sets.items()}
    for t in (t for t in THRESHOLDS if t >= lowest):
        per_set = [outcomes[n].at(oof[n], t) for n in sets]
        if pooled.at(confidence, t).wrong_rate <= MAX_POOLED_WRONG and all(
                f.wrong_rate <= MAX_FOLD_WRONG for f in per_set):
            return t
    return THRESHOLDS[-1]


def pooled_figures(sets: Mapping[str, Sequence[Line]], confidence: Mapping[str, FloatArray], threshold: float) -> Figures:
    """Figures of all sets taken as one."""
    return figures([line for lines in sets.values() for line in lines],
                   np.concatenate([confidence[name] for name in sets]), threshold)


@dataclass(frozen=True, slots=True)
class Calibration:
    features: tuple[str, ...]
    l2: float
    bias: float
    weights: tuple[float, ...]
    threshold: float
    cv: dict[str, Figures]  # out-of-fold figures per held-out set at `threshold`
    pooled: Figures  # the same, all sets as one


def calibrate(sets: Mapping[str, Sequence[Line]], *, report: list[str] | None = None) -> Calibration:
    """Pick the feature set and L2 with the best worst-set out-of-fold answer share at their own
    cross-validated threshold (the pooled share, then fewer pooled wrong answers, break ties: one
    line moves a set's share by 1-2 points), then fit on all sets; `cv` gives the out-of-fold
    figures at the final threshold (raised when the final fit needs it)."""
    best: tuple[tuple[float, float, int], str, float, float] | None = None
    for label, names in CANDIDATES.items():
        for l2 in L2_VALUES:
            oof = out_of_fold(sets, names, l2)
            t = choose_threshold(sets, oof)
            cv = {n: figures(sets[n], oof[n], t) for n in sets}
            pooled = pooled_figures(sets, oof, t)
            key = (round(min(f.answered_share for f in cv.values()), 9), round(pooled.answered_share, 9), -pooled.wrong)
            if report is not None:
                report.append(f"{label:32} l2={l2:<4} t={t:.2f} pooled {pooled.answered_share:.1%} answered, "
                              f"{pooled.wrong} wrong | " + "  ".join(
                                  f"{n}: {f.answered_share:.1%}, {f.wrong} wrong" for n, f in cv.items()))
            if best is None or key > best[0]:
                best = (key, label, l2, t)
    assert best is not None
    _, label, l2, threshold = best
    names = CANDIDATES[label]
    x, y = _matrix([line for lines in sets.values() for line in lines], names)
    bias, weights = fit_logistic(x, y, l2)
    bias, weights = round(bias, 3), tuple(round(w, 3) for w in weights)
    # The final fit moves the confidences a little: its threshold must meet the same bounds
    # on the sets themselves, so it may only be raised.
    fitted = {n: predict(lines, names, bias, weights) for n, lines in sets.items()}
    raised = choose_threshold(sets, fitted, lowest=threshold)
    oof = out_of_fold(sets, names, l2)
    cv = {n: figures(sets[n], oof[n], raised) for n in sets}
    return Calibration(names, l2, bias, weights, raised, cv, pooled_figures(sets, oof, raised))


@dataclass(frozen=True, slots=True)
class TwoStates:
    """The confidence models of both states of an article (see knowledge_base.answer)."""

    cold: Calibration
    learned: Calibration  # bias shifted so that `cold.threshold` is its threshold too
    cv: dict[str, Figures]  # out-of-fold figures per set, each line scored as auto_answer would
    pooled: Figures


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def learned_state(line: Line) -> bool:
    """Whether auto_answer scores this line with the learned model: its top article has at least
    LEARNED_PHRASINGS phrasings."""
    return line.features.get("phrasings", 0.0) >= math.log1p(LEARNED_PHRASINGS) - 1e-9


def calibrate_states(sets: Mapping[str, Sequence[Line]], *, report: list[str] | None = None) -> TwoStates:
    """One model fitted on the cold sets, one on their learned twins, each with its own
    cross-validated features, L2 and threshold. The learned model's bias is then shifted by the
    two thresholds' log-odds, so that one threshold (the cold one, raised if the two models
    together need it; channels may raise it further) holds for both: a channel's stricter
    threshold is stricter in both states."""
    cold_sets = {n: lines for n, lines in sets.items() if not n.endswith(LEARNED)}
    learned_sets_ = {n: lines for n, lines in sets.items() if n.endswith(LEARNED)}
    cold = calibrate(cold_sets, report=report)
    learned = calibrate(learned_sets_, report=report)
    shift = _logit(cold.threshold) - _logit(learned.threshold)
    learned = Calibration(learned.features, learned.l2, round(learned.bias + shift, 3), learned.weights,
                          cold.threshold, learned.cv, learned.pooled)
    oof = {}
    for held in sets:
        models = []
        for model, state in ((cold, False), (learned, True)):
            # Each model is fitted on its own sets, as in `calibrate`; a line is scored by the
            # model auto_answer would pick for it.
            x, y = _matrix([line for name, lines in sets.items() if fold_of(name) != fold_of(held)
                            and name.endswith(LEARNED) == state for line in lines], model.features)
            bias, weights = fit_logistic(x, y, model.l2)
            models.append((model.features, bias + (shift if state else 0.0), weights))
        by_state = [predict(sets[held], *m) for m in models]
        oof[held] = np.where([learned_state(line) for line in sets[held]], by_state[1], by_state[0])
    # Each model's threshold met the bounds on its own sets with its own lines; scored as
    # auto_answer scores them (a learned set's English lines, say, whose articles learned little,
    # go to the cold model), the sets may need a higher one: the common threshold is raised
    # until the bounds hold out of fold and with the final constants, in both states.
    fitted = {n: np.where([learned_state(line) for line in lines],
                          predict(lines, learned.features, learned.bias, learned.weights),
                          predict(lines, cold.features, cold.bias, cold.weights)) for n, lines in sets.items()}
    threshold = choose_threshold(sets, fitted, lowest=choose_threshold(sets, oof, lowest=cold.threshold))
    cold, learned = (dataclasses.replace(model, threshold=threshold) for model in (cold, learned))
    cv = {n: figures(sets[n], oof[n], threshold) for n in sets}
    return TwoStates(cold, learned, cv, pooled_figures(sets, oof, threshold))


def main() -> None:
    index = public_index()
    report: list[str] = []
    result = calibrate_states(training_sets(index), report=report)
    print("\n".join(report))
    for state, model in (("cold", result.cold), ("learned", result.learned)):
        print(f"{state}: {model.features} l2={model.l2}")
    for name, f in result.cv.items():
        print(f"  CV held out {name}: {f.answered_share:.1%} answered, {f.wrong}/{f.total} wrong ({f.wrong_rate:.1%})")
    p = result.pooled
    print(f"  CV pooled: {p.answered_share:.1%} answered, {p.wrong}/{p.total} wrong ({p.wrong_rate:.1%})")
    for state, model in (("COLD", result.cold), ("LEARNED", result.learned)):
        print(f"{state}_MODEL = ConfidenceModel(\n    features={model.features!r},\n"
              f"    bias={model.bias},\n    weights={model.weights!r})")
    print(f"DEFAULT_THRESHOLD = {result.cold.threshold}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
