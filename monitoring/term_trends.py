"""Trending terms and phrases: 1-3 grams of a signal's content stems, counted per minute per
scope (all signals, each source, each area), scored against an EWMA baseline (pure: no I/O).

Model (tuning constants below, explained in docs/watch.md "Trending terms"):
- a signal counts each of its grams once (a gram is 1 to 3 consecutive content stems: stop
  words are already out of the stems, so "le barrage va céder" gives "barrag", "ced",
  "barrag ced");
- the **window** is the last WINDOW_MIN minutes, the current one included (partly elapsed);
- the **baseline** is a per-minute rate per (scope, gram), an exponentially weighted moving
  average (half-life HALF_LIFE_MIN) of the minutes *before* the window, so a surge never
  inflates its own baseline;
- a gram **trends** when, in the window, count >= MIN_COUNT, count >= RATIO x expected and
  the Poisson chance of seeing that many or more, P(X >= count | expected), is under P_MAX,
  where expected = rate x window minutes, never below EXPECTED_FLOOR (a gram never seen is not
  infinitely surprising). The exact Poisson tail rather than a z-score: thousands of grams are
  tested every cycle, and at small expected counts a z-score's normal tail is far too thin
  (z >= 3.5 at expected 4 happens 30 times more often than the normal says);
- nothing trends before the baseline has WARMUP_MIN minutes behind it (everything is "new"
  at the start).
Memory: the baseline keeps at most MAX_BASELINE grams, the highest rates, and drops any gram
whose rate fell under MIN_RATE: such a gram's expected count is under the floor anyway, so
dropping it changes no score.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

WINDOW_MIN: Final = 2
HALF_LIFE_MIN: Final = 30.0
ALPHA: Final = 1 - 0.5 ** (1 / HALF_LIFE_MIN)  # the weight of one new minute
WARMUP_MIN: Final = 15
MIN_COUNT: Final = 5
RATIO: Final = 2.5
P_MAX: Final = 1e-4
EXPECTED_FLOOR: Final = 0.5
MIN_RATE: Final = EXPECTED_FLOOR / WINDOW_MIN / 10  # per minute
MAX_BASELINE: Final = 50_000
MAX_GRAM_STEMS: Final = 24  # grams from a long article's first 24 content stems only
TOP_PER_SCOPE: Final = 10
SEP: Final = "\x1f"  # between scope and gram in a counter's name


def grams(stems: Sequence[str], n_max: int = 3) -> set[str]:
    """The distinct 1..n_max grams of consecutive stems (a signal counts each once). Numbers
    are left out (a ticket number, a time, a count: mostly unique, they would fill the
    counters with grams seen once)."""
    head = [stems[i] for i in gram_positions(stems)]
    return {" ".join(head[i:i + n]) for n in range(1, n_max + 1) for i in range(len(head) - n + 1)}


def gram_positions(stems: Sequence[str]) -> list[int]:
    """The places in `stems` that grams are made of: the first MAX_GRAM_STEMS, numbers out
    (monitoring/term_forms.py finds the words written there)."""
    return [i for i, s in enumerate(stems[:MAX_GRAM_STEMS]) if not s.isdigit()]


def scopes_of(source: str, area: str) -> list[str]:
    return ["all", f"source:{source}", *([f"area:{area}"] if area else [])]


def counter_names(stems: Sequence[str], source: str, area: str) -> list[str]:
    """Every (scope, gram) counter a signal adds one to."""
    found = grams(stems)
    return [f"{scope}{SEP}{gram}" for scope in scopes_of(source, area) for gram in found]


@dataclasses.dataclass
class Baseline:
    """Per-minute rates of (scope, gram) counters and the last minute rolled into them."""

    rates: dict[str, float]
    last_minute: int | None = None
    minutes: int = 0  # how many minutes are behind it (the warm-up)
    # The highest rate the last roll dropped to stay within MAX_BASELINE (0 when it dropped
    # none): a gram not kept had at most this rate, so it is expected at least that often.
    # Without it, in a crisis busy enough to fill the baseline, every gram that fell off the
    # end would look new (expected = the floor) and trend at once.
    cutoff: float = 0.0

    def roll(self, minute: int, counts: Mapping[str, int]) -> None:
        """Fold one closed minute's counts in; minutes skipped since the last one count as
        zeros (nothing was said), so their decay is applied at once."""
        gap = 1 if self.last_minute is None else max(1, minute - self.last_minute)
        keep = (1 - ALPHA) ** gap
        rates = {name: rate * keep for name, rate in self.rates.items()}
        unknown = self.cutoff * keep  # a gram not kept is taken to be at the cutoff (see rate)
        for name, count in counts.items():
            rates[name] = rates.get(name, unknown) + ALPHA * count
        live = [(name, rate) for name, rate in rates.items() if rate >= MIN_RATE]
        self.cutoff = 0.0
        if len(live) > MAX_BASELINE:
            live.sort(key=lambda item: -item[1])
            self.cutoff = live[MAX_BASELINE][1]
            del live[MAX_BASELINE:]
        self.rates = dict(live)
        self.last_minute = minute
        self.minutes += gap

    def rate(self, name: str) -> float:
        """The expected count a minute: the average corrected for its start at zero (after
        m minutes the weights sum to 1 - (1 - ALPHA)^m, not 1), so a young baseline does not
        see every steady term as three times its usual self."""
        weight = 1 - (1 - ALPHA) ** self.minutes if self.minutes else 1.0
        return self.rates.get(name, self.cutoff) / weight


@dataclasses.dataclass(frozen=True)
class TermTrend:
    """One gram trending in one scope."""

    scope: str
    gram: str
    count: int
    expected: float
    z: float

    @property
    def ratio(self) -> float:
        return self.count / self.expected

    def as_json(self, forms: Mapping[str, str] | None = None) -> dict[str, object]:
        return {"scope": self.scope, "term": (forms or {}).get(self.gram, self.gram),
                "stems": self.gram, "count": self.count, "expected": round(self.expected, 2),
                "ratio": round(self.ratio, 1), "z": round(self.z, 1)}


def trending(baseline: Baseline, window: Mapping[str, int], window_minutes: float,
             *, top: int = TOP_PER_SCOPE) -> list[TermTrend]:
    """The grams of `window` (counts over `window_minutes`) that jump above their baseline,
    the strongest first, at most `top` per scope; none while the baseline warms up."""
    if baseline.minutes < WARMUP_MIN:
        return []
    found: list[TermTrend] = []
    for name, count in window.items():
        if count < MIN_COUNT:
            continue
        expected = max(baseline.rate(name) * window_minutes, EXPECTED_FLOOR)
        if count < RATIO * expected:
            continue
        chance = poisson_tail(count, expected)
        if chance < P_MAX:
            z = (count - expected) / math.sqrt(expected)
            scope, _, gram = name.partition(SEP)
            found.append(TermTrend(scope, gram, count, expected, z))
    found.sort(key=lambda t: (-t.z, -t.count, t.scope, t.gram))
    per_scope: Counter[str] = Counter()
    kept: list[TermTrend] = []
    for trend in _longest_phrases(found):
        if per_scope[trend.scope] < top:
            per_scope[trend.scope] += 1
            kept.append(trend)
    return kept


def poisson_tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), summed from the k-th term (k > mu here: it converges
    in a few dozen terms), in log space so large counts do not overflow."""
    if k <= 0:
        return 1.0
    term = math.exp(k * math.log(mu) - mu - math.lgamma(k + 1))
    total = 0.0
    j = k
    while term > total * 1e-12 and j < k + 10_000:
        total += term
        j += 1
        term *= mu / j
    return min(1.0, total)


def _longest_phrases(found: Iterable[TermTrend]) -> list[TermTrend]:
    """A phrase trending with its words ("barrag ced", "barrag", "ced") is shown once, as the
    phrase, when its words trend no more than it does (they move because it moves).
    Linear in the trends found: each phrase looks up its own parts (at most 5 for a 3-gram),
    never every other trend (at a crisis's start thousands of grams jump at once)."""
    items = list(found)
    by_scope: dict[str, dict[str, TermTrend]] = {}
    for trend in items:
        by_scope.setdefault(trend.scope, {})[trend.gram] = trend
    hidden: set[tuple[str, str]] = set()
    for scope, grams_found in by_scope.items():
        for phrase in grams_found.values():
            words = phrase.gram.split()
            if len(words) < 2:
                continue
            for part in _parts(words):
                other = grams_found.get(part)
                if other is not None and other.count <= phrase.count * 1.5:
                    hidden.add((scope, part))
    return [t for t in items if (t.scope, t.gram) not in hidden]


def _parts(words: list[str]) -> set[str]:
    return {" ".join(words[i:i + n]) for n in range(1, len(words))
            for i in range(len(words) - n + 1)}
