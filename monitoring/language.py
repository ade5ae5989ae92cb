"""A signal's language, when its source does not say: lingua, a detector built for short texts.

lingua-language-detector (Apache-2.0) publishes its accuracy per language and text length
(single words, word pairs, sentences); for French and English sentences it reports over 99 %.
The detector is limited to the languages heard in France's crises (fewer candidates: faster
and fewer confusions) and built once per process, on first use (about a second: its models
are loaded then). A text it cannot decide on is "" (unknown), never a guess.
tests/monitoring/test_language.py measures it on labelled short texts written for the project.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from lingua import Language, LanguageDetectorBuilder

LANGUAGES: Final = {Language.FRENCH: "fr", Language.ENGLISH: "en", Language.SPANISH: "es",
                    Language.GERMAN: "de", Language.ITALIAN: "it", Language.PORTUGUESE: "pt",
                    Language.ARABIC: "ar", Language.DUTCH: "nl"}
# Under this many letters a text says too little ("ok", "???"): left unknown.
MIN_LETTERS: Final = 3
_lock = threading.Lock()
_detector: Any = None


def _built() -> Any:
    global _detector
    with _lock:
        if _detector is None:
            _detector = (LanguageDetectorBuilder.from_languages(*LANGUAGES)
                         .with_preloaded_language_models().build())
    return _detector


def detect_language(text: str) -> str:
    """The ISO 639-1 code of `text`'s language, or "" when it cannot be told."""
    if sum(c.isalpha() for c in text[:200]) < MIN_LETTERS:
        return ""
    found = _built().detect_language_of(text[:1000])
    return LANGUAGES.get(found, "") if found is not None else ""
