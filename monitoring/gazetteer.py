"""Where a signal is about: the département named in its text, from a gazetteer of French places.

The gazetteer (monitoring/data/places_fr.tsv: every prefecture and the large communes, from
INSEE's Code officiel géographique, Licence Ouverte 2.0) and the département names of
crisis/areas.py are matched on folded words (no accents, no hyphens), longest name first.
Names that are also everyday words ("Cher", "Lot", "Tours", "Nord", "Manche"...) count only
when written with a capital and not at the start of a sentence; the others count in lower
case too, as citizens type them in an SMS ("inondation a nantes"). A name listed for two
départements (Saint-Denis) is left out. The most named département wins; ties go to the first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Final

from crisis.areas import DEPARTEMENTS

MAX_NAME_WORDS: Final = 5
# Folded names that are also common French (or English) words: capitalised, mid-sentence only.
COMMON_WORDS: Final = frozenset(
    "ain aube cher creuse drome gap gard landes lot manche marne moulins nice nord orne somme "
    "tours var vienne vosges cantal indre doubs ardennes valence laval agen charente".split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = frozenset(".!?\n")


def fold_place(name: str) -> str:
    """Lower case, no accents, words separated by one space ("Val-d'Oise" -> "val d oise")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain))


@lru_cache(maxsize=1)
def place_table() -> Mapping[str, str]:
    """Folded place name -> département code (ambiguous names left out)."""
    codes: dict[str, set[str]] = {}
    for code, name in DEPARTEMENTS.items():
        codes.setdefault(fold_place(name), set()).add(code)
    text = resources.files("monitoring").joinpath("data/places_fr.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, code, _kind = line.split("\t")
        codes.setdefault(fold_place(name), set()).add(code)
    return {name: next(iter(found)) for name, found in codes.items() if len(found) == 1}


@lru_cache(maxsize=1)
def _longest_from() -> Mapping[str, int]:
    """First folded word of a place name -> the most words a name starting with it has: most
    words of a text start no name at all, and are passed over without joining anything."""
    longest: dict[str, int] = {}
    for name in place_table():
        first, *rest = name.split()
        longest[first] = max(longest.get(first, 0), 1 + len(rest))
    return longest


@lru_cache(maxsize=50_000)
def _fold_word(word: str) -> str:
    return fold_place(word)


def find_areas(text: str) -> list[str]:
    """The département codes of the places named in `text`, in order of mention."""
    table = place_table()
    longest = _longest_from()
    spans = [(m.start(), m.group(0)) for m in _WORD.finditer(text)]
    folded = [_fold_word(word) for _, word in spans]
    found: list[str] = []
    index = 0
    while index < len(spans):
        most = min(longest.get(folded[index], 0), MAX_NAME_WORDS, len(spans) - index)
        for size in range(most, 0, -1):
            name = " ".join(folded[index:index + size])
            code = table.get(name)
            if code is not None and _counts(text, spans[index], name):
                found.append(code)
                index += size
                break
        else:
            index += 1
    return found


def _counts(text: str, span: tuple[int, str], name: str) -> bool:
    start, word = span
    if name not in COMMON_WORDS:
        return True
    if not word[:1].isupper():
        return False
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in _SENTENCE_END


def area_of(text: str) -> str:
    """The most named département of `text` ("" when none is named)."""
    found = find_areas(text)
    if not found:
        return ""
    counts = Counter(found)
    best = max(counts.values())
    return next(code for code in found if counts[code] == best)
