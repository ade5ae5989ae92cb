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


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# The Latin letters with marks (é, ç, ô...) mapped once: one str.translate instead of a
# decomposition of every character (the decomposition stays for anything else).
_ACCENTS: Final = str.maketrans({chr(c): _strip_marks(chr(c)) for c in range(0xC0, 0x250)
                                 if _strip_marks(chr(c)).isascii()})


def fold(text: str) -> str:
    """Casefolded, accents stripped, every run of non-word characters one space."""
    plain = text.casefold().translate(_LIGATURES)
    if not plain.isascii():
        plain = plain.translate(_ACCENTS)
        if not plain.isascii():
            plain = _strip_marks(plain)
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
    return content_words_of(fold(text).split())


def content_words_of(words: list[str]) -> list[str]:
    """`words` (already folded) without stop words and one-letter words, in order."""
    return [w for w in words if w not in STOP_WORDS and len(w) > 1]


def terms(text: str, lang: str = "fr") -> list[str]:
    """Stems of the content words of `text`, in order (duplicates kept)."""
    return terms_of(fold(text).split(), lang)


def terms_of(words: list[str], lang: str = "fr") -> list[str]:
    """Stems of the content words among `words` (already folded: the normaliser folds a
    signal's text once and shares it with the sentiment scorer)."""
    return [stem(w, lang) for w in words if w not in STOP_WORDS and len(w) > 1]
