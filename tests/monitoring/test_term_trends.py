"""Trending terms on synthetic streams with known surges and known steady noise: recall (a term
that reaches 5x its baseline, at once or over 15 minutes, is flagged in the cycle that ends the
minute it gets there) and false alarms (steady terms, Poisson noise, over two hours)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable

from monitoring.term_trends import (
    MAX_BASELINE, SEP, WARMUP_MIN, WINDOW_MIN, Baseline, counter_names, grams, poisson_tail,
    trending)


def poisson(rng: random.Random, mu: float) -> int:
    if mu > 50:  # the normal approximation is exact enough there
        return max(0, round(rng.gauss(mu, math.sqrt(mu))))
    limit, k, product = math.exp(-mu), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def run_stream(rng: random.Random, rates: dict[str, Callable[[int], float]],
               minutes: int) -> list[set[str]]:
    """Minute by minute: counts drawn, the baseline rolled up to the window, one cycle at the
    end of each minute; returns the grams flagged at each minute's cycle."""
    baseline = Baseline({})
    history: list[Counter[str]] = []
    flagged: list[set[str]] = []
    for minute in range(minutes):
        history.append(Counter({f"all{SEP}{name}": poisson(rng, rate(minute))
                                for name, rate in rates.items()}))
        closed = minute - WINDOW_MIN  # the newest minute before the window
        if closed >= 0:
            baseline.roll(closed, +history[closed])
        window: Counter[str] = Counter()
        for counts in history[-WINDOW_MIN:]:
            window.update(counts)
        flagged.append({t.gram for t in trending(baseline, window, WINDOW_MIN, top=1000)})
    return flagged


def surge(base: float, start: int, ramp: int, factor: float = 5.0) -> Callable[[int], float]:
    def rate(minute: int) -> float:
        if minute < start:
            return base
        return base * (1 + (factor - 1) * min(1.0, (minute - start + 1) / max(ramp, 1)))
    return rate


def test_grams_are_one_to_three_consecutive_stems_counted_once_per_signal() -> None:
    assert grams(["barrag", "ced", "barrag"]) == {
        "barrag", "ced", "barrag ced", "ced barrag", "barrag ced barrag"}
    names = counter_names(["digu"], "social", "44")
    assert names == [f"all{SEP}digu", f"source:social{SEP}digu", f"area:44{SEP}digu"]


def test_the_poisson_tail_is_right() -> None:
    assert abs(poisson_tail(0, 3.0) - 1.0) < 1e-12
    assert abs(poisson_tail(5, 2.0) - 0.052653) < 1e-5  # 1 - CDF(4; 2)
    assert 0 < poisson_tail(2_000, 1_000.0) < 1e-100


def test_a_term_reaching_5x_is_flagged_in_the_cycle_that_ends_that_minute() -> None:
    """Recall per baseline rate (signals a minute) and ramp (0: at once; 15 minutes)."""
    rng = random.Random(16)
    start = WARMUP_MIN + WINDOW_MIN + 20
    recall: dict[tuple[float, int], float] = {}
    for base in (1.0, 2.0, 4.0, 10.0):
        for ramp in (1, 5, 15):
            reached = start + ramp - 1  # the first minute at 5x
            hits = 0
            for _ in range(40):
                noise = {f"steady{i}": (lambda m, r=0.5 + i: r) for i in range(5)}
                flagged = run_stream(rng, {"digu": surge(base, start, ramp), **noise},
                                     reached + 1)
                hits += "digu" in set().union(*flagged[start:reached + 1])
            recall[(base, ramp)] = hits / 40
    print("recall", recall)
    # Gradual rises (5 or 15 minutes) from 4 a minute up: found by the cycle ending the first
    # minute at 5x; jumps at once from 10 a minute; the slow terms need a minute or two more
    # (figures in docs/watch.md).
    assert all(r >= 0.95 for (base, ramp), r in recall.items() if base >= 4.0 and ramp > 1)
    assert recall[(10.0, 1)] >= 0.9 and recall[(2.0, 15)] >= 0.9, recall


def test_steady_terms_raise_almost_no_false_alarm() -> None:
    """400 steady terms from 0.05 to 50 a minute, two hours after the warm-up: flagged
    (term, cycle) pairs out of 48,000."""
    rng = random.Random(61)
    rates = {f"t{i}": (lambda m, r=0.05 * 1000 ** (i / 399): r) for i in range(400)}
    flagged = run_stream(rng, rates, WARMUP_MIN + WINDOW_MIN + 120)
    alarms = sum(len(f) for f in flagged)
    print(f"false alarms {alarms} in {400 * 120} term-cycles")
    assert alarms <= 12  # 2.5e-4 per term and cycle
    assert not any(flagged[:WARMUP_MIN])  # nothing while warming up


def test_the_baseline_is_bounded_and_forgets_what_went_quiet() -> None:
    baseline = Baseline({})
    for minute in range(60):
        baseline.roll(minute, {f"all{SEP}w{minute}-{i}": 3 for i in range(2_000)})
    assert len(baseline.rates) <= MAX_BASELINE
    baseline.roll(60 + 24 * 60, {})  # a day of silence: all decayed under the floor
    assert baseline.rates == {} and baseline.last_minute == 60 + 24 * 60


def test_numbers_make_no_gram() -> None:
    assert grams(["coupur", "12", "rue"]) == {"coupur", "rue", "coupur rue"}


def test_steady_grams_beyond_the_bound_do_not_trend_when_they_fall_off_the_baseline() -> None:
    """A busy crisis says more distinct grams than the baseline keeps: the ones it drops are
    expected at the highest rate it dropped, not as new, so steady talk raises no alarm."""
    steady = {f"all{SEP}g{i}": 3 + i % 5 for i in range(MAX_BASELINE + 5_000)}
    baseline = Baseline({})
    for minute in range(WARMUP_MIN + 5):
        baseline.roll(minute, steady)
    assert len(baseline.rates) == MAX_BASELINE and baseline.cutoff > 0
    window = {name: count * WINDOW_MIN for name, count in steady.items()}
    window[f"all{SEP}digu ced"] = 40  # one real surge among them
    found = trending(baseline, window, WINDOW_MIN)
    assert [t.gram for t in found] == ["digu ced"]


def test_a_phrase_hides_its_words_among_thousands_of_trends_in_linear_time() -> None:
    baseline = Baseline({}, minutes=WARMUP_MIN)
    window = {f"all{SEP}w{i} x{i} y{i}": 50 for i in range(20_000)}
    window |= {f"all{SEP}w{i}": 50 for i in range(20_000)}
    found = trending(baseline, window, WINDOW_MIN, top=100_000)
    assert len(found) == 20_000 and all(" " in t.gram for t in found)  # each word under its phrase


def test_a_trending_gram_is_worded_as_people_wrote_it_most_often() -> None:
    from monitoring.term_forms import forms_of, worded_grams

    worded = worded_grams("La digue va céder à Saint-Pierre, l'eau monte !", "fr")
    assert worded["digu ced"] == "digue céder" and worded["eau mont"] == "eau monte"
    signals = [("la digue cède", "fr"), ("LA DIGUE CÈDE !!", "fr"), ("la digue va céder", "fr"),
               ("the dam is breaking", "en"), ("Le pont de Cé", "")]
    assert forms_of({"digu ced", "digu", "pont", "absent"}, signals) == {
        "digu ced": "digue cède", "digu": "digue", "pont": "pont"}
