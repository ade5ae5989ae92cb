"""The terms of a signal: folded, stop words out, Snowball stems, as the knowledge base's French
analysis makes them (knowledge_base/text.py: fold, stop words, stems).

Stand-in: the knowledge base does not export its analysis yet (`from knowledge_base import
tokenise` is asked for in the watch's report); until it does, this module applies the same
steps with the same stemmer (Snowball, through PyStemmer when present), so that when the
export lands this becomes one import and the terms do not change meaning.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any, Final

import snowballstemmer

try:  # the C build of the same Snowball algorithms (a dependency of the project)
    import Stemmer as _c_stemmer
except ImportError:  # pragma: no cover - the pure-Python stemmer gives identical stems
    _c_stemmer = None

_NON_WORD = re.compile(r"[\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
STOP_WORDS: Final = frozenset(
    "a ai au aux avec c ca ce ces cet cette d dans de des du elle elles en est et etre eu il ils "
    "j je l la le les leur lui m ma mais me mes mon n ne nos notre nous on ont ou par pas plus "
    "pour qu que qui s sa se ses si son sont sur t ta te tu un une vos votre vous y tres tout "
    "tous toute toutes comme fait faire faut peut va vont bien aussi alors donc deja encore "
    "the of and to in is it for on that this with are be at by from an or was as".split())
_STEMMER_NAMES: Final = {"fr": "french", "en": "english", "es": "spanish", "de": "german",
                         "it": "italian", "pt": "portuguese", "nl": "dutch"}
_per_thread = threading.local()


def fold(text: str) -> str:
    """Casefolded, accents stripped, every run of non-word characters one space."""
    lowered = text.casefold().translate(_LIGATURES)
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", plain).strip()


def _stemmer(lang: str) -> Any:
    # A Snowball stemmer keeps state in itself: one per thread (as the knowledge base does).
    stemmers: dict[str, Any] = _per_thread.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        name = _STEMMER_NAMES.get(lang, "french")
        stemmers[lang] = _c_stemmer.Stemmer(name) if _c_stemmer else snowballstemmer.stemmer(name)
    return stemmers[lang]


@lru_cache(maxsize=100_000)
def stem(word: str, lang: str = "fr") -> str:
    if word.isdigit() or len(word) <= 2:
        return word
    result: str = _stemmer(lang).stemWord(word)
    return result


def content_words(text: str) -> list[str]:
    """Folded words of `text` without stop words, in order."""
    return [w for w in fold(text).split() if w not in STOP_WORDS and len(w) > 1]


def terms(text: str, lang: str = "fr") -> list[str]:
    """Stems of the content words of `text`, in order (duplicates kept)."""
    return [stem(w, lang) for w in content_words(text)]
