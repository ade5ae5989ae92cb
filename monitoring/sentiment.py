"""Sentiment of a short French text: negative, neutral or positive, from a valence lexicon.

The lexicon is the French VADER lexicon (vaderSentiment_fr 1.3.4 by O. Deprez and T. Ek, MIT
licence, 9,000 entries scored -4..+4, a French adaptation of C.J. Hutto's VADER lexicon, MIT;
shipped as monitoring/data/sentiment_fr.txt with its licence beside it), completed by a few
crisis words written for the project (sentiment_fr_crisis.txt: "coupure", "inondé",
"rétabli"...). The scoring follows VADER's rules in small: a word's valence is reversed and
damped (x -0.74) after a negation within three words ("ce n'est pas grave"), raised after an
intensifier ("très", "vraiment"), and the sum is squashed into -1..1 (x / sqrt(x² + 15)).
Measured against a naive baseline on labelled texts written for the project:
tests/monitoring/test_sentiment.py (figures in docs/watch.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Final

from monitoring.text_terms import fold

NEGATIONS: Final = frozenset("ne n pas jamais plus sans aucun aucune rien ni personne non not no never".split())
INTENSIFIERS: Final = {"tres": 0.293, "vraiment": 0.293, "trop": 0.293, "extremement": 0.4,
                       "tellement": 0.293, "super": 0.2, "completement": 0.293, "totalement": 0.293}
NEGATION_SCALAR: Final = -0.74
ALPHA: Final = 15.0
THRESHOLD: Final = 0.05  # VADER's own cut between neutral and polar


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


def _read(name: str, table: dict[str, list[float]]) -> None:
    text = resources.files("monitoring").joinpath(f"data/{name}").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or "->" not in line:
            continue
        word, _, score = line.rpartition("->")
        key = fold(word)
        if key and " " not in key:
            table.setdefault(key, []).append(float(score))


@lru_cache(maxsize=1)
def lexicon() -> Mapping[str, float]:
    """Folded word -> valence (-4..4); accents folded, so forms that meet are averaged; the
    crisis words override the general lexicon."""
    general: dict[str, list[float]] = {}
    _read("sentiment_fr.txt", general)
    crisis: dict[str, list[float]] = {}
    _read("sentiment_fr_crisis.txt", crisis)
    merged = {word: sum(scores) / len(scores) for word, scores in general.items()}
    merged.update({word: sum(scores) / len(scores) for word, scores in crisis.items()})
    return merged


def compound(text: str, *, negation: bool = True, words: list[str] | None = None) -> float:
    """The text's valence in -1..1 (0: nothing polar found); `words`: the text already folded
    and split, when the caller has it (the normaliser folds once)."""
    table = lexicon()
    if words is None:
        words = fold(text).split()
    total = 0.0
    for index, word in enumerate(words):
        valence = table.get(word)
        if valence is None or word in NEGATIONS:
            continue
        before = words[max(0, index - 3):index]
        if before and before[-1] in INTENSIFIERS:
            boost = INTENSIFIERS[before[-1]]
            valence += boost if valence > 0 else -boost
        if negation and any(w in NEGATIONS for w in before):
            valence *= NEGATION_SCALAR
        total += valence
    if "!" in text and total:
        total += math.copysign(min(text.count("!"), 3) * 0.292, total)
    return total / math.sqrt(total * total + ALPHA) if total else 0.0


def sentiment_of(score: float) -> Sentiment:
    if score >= THRESHOLD:
        return Sentiment.POSITIVE
    if score <= -THRESHOLD:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL
