"""Near-duplicates of a rumour: a signal that says a claim in other words (an inflection, a
typo, a word left out) is grouped under it, as Meedan Check groups claims.

The exact test (monitoring/watchlist.py) wants every stem of one variant in the signal. The
near test scores each variant against the signal with the knowledge base's character
similarity (`from knowledge_base import coverage, words_profile`: space-padded 4-grams):
each content word of the variant scores 1 when its stem is in the signal, else the share of
its 4-grams found in the signal ("cédé" keeps half of "céder"'s, "barage" half of
"barrage"'s); the variant's score is the mean over its words. A signal is grouped under a claim
when one variant scores at least NEAR_THRESHOLD.

NEAR_THRESHOLD was measured on a labelled set (tests/monitoring/data/rumour_paraphrases.json,
`python bench/measure_rumour_grouping.py` prints precision and recall per threshold):
0.7 keeps a two-word claim with one word missing (0.5, "le barrage est surveillé" against
"le barrage va céder") apart and groups a word inflected or misspelt (about 0.75).

Cost: only a signal that shares a stem with some variant and does not match it exactly is
scored (an inverted index from stem to variants), and its 4-grams are gathered once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Final

from knowledge_base import Profile, char_grams, coverage, words_profile
from monitoring.text_terms import content_words, stem

NEAR_THRESHOLD: Final = 0.7


@dataclasses.dataclass(frozen=True)
class VariantWords:
    """One variant's content words: each with its stem and its 4-gram profile."""

    claim_id: str
    stems: tuple[str, ...]
    profiles: tuple[Profile, ...]

    @classmethod
    def of(cls, claim_id: str, text: str) -> VariantWords:
        words = content_words(text)
        return cls(claim_id, tuple(stem(w) for w in words), tuple(words_profile([w]) for w in words))

    def score(self, stems: frozenset[str], grams: set[str]) -> float:
        """Mean over the variant's words: 1 for a stem in the signal, else its 4-grams' share."""
        if not self.stems:
            return 0.0
        total = sum(1.0 if s in stems else coverage(p, grams)
                    for s, p in zip(self.stems, self.profiles, strict=True))
        return total / len(self.stems)


@dataclasses.dataclass(frozen=True)
class ClaimGrouping:
    """Every claim's variants, indexed by stem, ready to score many signals."""

    variants: tuple[VariantWords, ...]
    by_stem: dict[str, tuple[int, ...]]
    threshold: float = NEAR_THRESHOLD

    @classmethod
    def build(cls, claims: Iterable[tuple[str, Sequence[str]]],
              threshold: float = NEAR_THRESHOLD) -> ClaimGrouping:
        """`claims`: (claim id, its texts: the claim and its variants)."""
        variants = tuple(VariantWords.of(claim_id, text) for claim_id, texts in claims
                         for text in texts)
        index: dict[str, list[int]] = {}
        for number, variant in enumerate(variants):
            for s in set(variant.stems):
                index.setdefault(s, []).append(number)
        return cls(variants, {s: tuple(n) for s, n in index.items()}, threshold)

    def near_claims(self, stems: Sequence[str], words: Sequence[str],
                    skip: Iterable[str] = ()) -> list[str]:
        """Claims (ids, in watchlist order) one of whose variants is near the signal; `words`
        are its folded content words, `skip` the claims already matched exactly."""
        present = frozenset(stems)
        done = set(skip)
        candidates = sorted({n for s in present for n in self.by_stem.get(s, ())})
        grams: set[str] | None = None
        found: list[str] = []
        for number in candidates:
            variant = self.variants[number]
            if variant.claim_id in done:
                continue
            if grams is None:
                grams = char_grams(words)
            if variant.score(present, grams) >= self.threshold:
                done.add(variant.claim_id)
                found.append(variant.claim_id)
        return found
