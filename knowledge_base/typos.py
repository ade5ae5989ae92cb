"""Typo correction of query words against an index's vocabulary (optimal string alignment)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge_base.text import stem

# Only words long enough to have a stable spelling are corrected. Optimal-string-alignment
# distance counts a swapped pair of letters as one edit, the commonest typing slip; one edit
# below 8 letters, two from 8, so short words are not "corrected" into other words ("soldes"
# must not become "seules").
FUZZY_MIN_LENGTH = 4
FUZZY_LONG_WORD = 8
_CACHE_MAX = 50_000


def letter_mask(word: str) -> int:
    """The set of the word's characters as 64 bits (characters share bits modulo 64)."""
    mask = 0
    for char in word:
        mask |= 1 << (ord(char) & 63)
    return mask


# French derivational prefixes (repetition, negation, undoing), longest first.
PREFIXES = ("des", "dis", "re", "in", "ir", "de")
PREFIX_REST_LENGTH = 7
# From this length any one edit is a slip: long words are rarely one edit from another word.
ANY_EDIT_LENGTH = 8


def _undoubled(word: str) -> str:
    return "".join(c for i, c in enumerate(word) if i == 0 or c != word[i - 1])


def plausible_typo(word: str, candidate: str, candidate_stem: str, distance: int) -> bool:
    """Whether `word` reads as a slip for `candidate` rather than another real word.

    Everyday words the articles do not use are one edit from an article word ("fais" ->
    "fois", "veut" -> "vert", "pere" -> "perte", "poste" -> "porte", "pluie" -> "plaie",
    "envie" -> "envoi", "secousse" -> "secours"), and a wrong correction adds a wrong topic.
    So a short word is corrected only by a typing slip (two letters swapped, a letter doubled
    or undoubled) or when it is an inflection of the candidate (it starts with the candidate's
    stem: "attendre" -> "attend", "evacuee" -> "evacue"); a long word by any one edit, and by
    two only when one of them is a doubled letter ("rembourssement")."""
    if distance == 0 or word.startswith(candidate_stem) and len(candidate_stem) >= 4:
        return True
    if distance == 1 and len(word) >= ANY_EDIT_LENGTH:
        return True
    bare_word, bare_candidate = _undoubled(word), _undoubled(candidate)
    if bare_word == bare_candidate:
        return True
    if len(word) == len(candidate) and distance == 1:
        # one OSA edit between equal-length words that is not a substitution is a swap
        diff = [i for i in range(len(word)) if word[i] != candidate[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1
    return distance == 2 and OSA.distance(bare_word, bare_candidate) <= 1 and len(word) >= ANY_EDIT_LENGTH


class TypoCorrector:
    """Finds the closest vocabulary word to a misspelt word; built once per index, then only read.

    Candidates share the first letter (typos rarely hit it) and a close length: one slice of
    the words sorted by length. Then a letter-set filter: k edits change at most 2k members
    of a word's set of letters, so a word whose set differs by more cannot match; it drops
    most candidates before the exact distance is computed, with the same result.
    """

    def __init__(self, vocabulary: Mapping[str, str], lang: str = "fr") -> None:
        self._stems = vocabulary  # word -> stem
        self._lang = lang
        self._known_stems = frozenset(vocabulary.values())
        groups: dict[str, list[str]] = {}
        for word in vocabulary:
            groups.setdefault(word[0], []).append(word)
        # Words as an object array: selecting the candidates is then one boolean index in C
        # instead of a Python list comprehension (half the cost of a lookup).
        self._by_letter: dict[str, tuple[npt.NDArray[np.object_], list[int], npt.NDArray[np.uint64]]] = {}
        for letter, words in groups.items():
            # By length, then alphabetically: the first of equally close candidates wins, and
            # first-seen order would make the correction depend on what this process indexed
            # before (the token numbering is shared between indexes).
            words.sort(key=lambda w: (len(w), w))
            masks = np.fromiter((letter_mask(w) for w in words), dtype=np.uint64, count=len(words))
            self._by_letter[letter] = (np.array(words, dtype=object), [len(w) for w in words], masks)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The stem of the closest vocabulary word to `word`, or None (cached per word)."""
        if word in self._cache:
            return self._cache[word]
        found = self._without_prefix(word)
        group = None
        if found is None and len(word) >= FUZZY_MIN_LENGTH and not word.isdigit():
            group = self._by_letter.get(word[0])
        if group is not None:
            words, lengths, masks = group
            edits = 2 if len(word) >= FUZZY_LONG_WORD else 1
            lo, hi = bisect_left(lengths, len(word) - edits), bisect_right(lengths, len(word) + edits)
            differing = np.bitwise_count(masks[lo:hi] ^ letter_mask(word))
            choices = words[lo:hi][differing <= 2 * edits].tolist()
            match = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=edits)
            if match is not None and plausible_typo(word, match[0], self._stems[match[0]], int(match[1])):
                found = self._stems[match[0]]
        if len(self._cache) < _CACHE_MAX:
            self._cache[word] = found  # a dict store is atomic: safe for concurrent readers
        return found

    def _without_prefix(self, word: str) -> str | None:
        """The stem of `word` without a derivational prefix when the articles know that stem:
        citizens say "rebrancher", "injoignable", "recouvert" where an article says
        "branchez", "joignable", "couverts". The rest must keep at least 7 letters: shorter
        rests made other words ("immeuble" -> "meuble", "reporter" -> "porter")."""
        if self._lang != "fr":
            return None
        for prefix in PREFIXES:
            rest = word[len(prefix):]
            if word.startswith(prefix) and len(rest) >= PREFIX_REST_LENGTH:
                found = stem(rest, self._lang)
                if found in self._known_stems:
                    return found
        return None
