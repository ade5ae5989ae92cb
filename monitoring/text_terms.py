"""The terms of a signal: folded, stop words out, Snowball stems, with the knowledge base's
French analysis (`from knowledge_base import fold_words, stem`): a stem here means what it
means in the knowledge base, so the watch's rumours and the knowledge base's missing answers
speak of the same words.

Two things stay the watch's own: its stop words (the knowledge base drops words that frame a
citizen's question, "nuit", "vraiment", "partout", which are news in a media headline) and
stemmers for the languages the knowledge base does not serve (Spanish, German...).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Final

import snowballstemmer

from knowledge_base import fold_words
from knowledge_base import stem as kb_stem

try:  # the C build of the same Snowball algorithms (a dependency of the project)
    import Stemmer as _c_stemmer
except ImportError:  # pragma: no cover - the pure-Python stemmer gives identical stems
    _c_stemmer = None

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
    """Casefolded, accents stripped, every run of non-word characters one space (the
    knowledge base's folding)."""
    return " ".join(fold_words(text))


def _stemmer(lang: str) -> Any:
    # A Snowball stemmer keeps state in itself: one per thread (as the knowledge base does).
    stemmers: dict[str, Any] = _per_thread.__dict__.setdefault("stemmers", {})
    if lang not in stemmers:
        name = _STEMMER_NAMES.get(lang, "french")
        stemmers[lang] = _c_stemmer.Stemmer(name) if _c_stemmer else snowballstemmer.stemmer(name)
    return stemmers[lang]


_KB_LANGS: Final = frozenset({"fr", "en"})


@lru_cache(maxsize=100_000)
def stem(word: str, lang: str = "fr") -> str:
    """The knowledge base's stem for French and English, Snowball's own for the others."""
    if lang in _KB_LANGS or lang not in _STEMMER_NAMES:
        return kb_stem(word, lang if lang in _KB_LANGS else "fr")
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
