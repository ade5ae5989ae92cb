"""A text's language when its source does not say: a watched signal's (`detect_language`, any
of the languages heard in France's crises) and a citizen's message on a channel that carries
no language, an SMS (`citizen_language`: French or English, the centre's two languages).

lingua, a detector built for short texts, decides what the word lists below cannot.

lingua-language-detector (Apache-2.0) publishes its accuracy per language and text length
(single words, word pairs, sentences); for French and English sentences it reports over 99 %.
The detector is limited to the languages heard in France's crises (fewer candidates: faster
and fewer confusions) and built once per process, on first use (about a second: its models
are loaded then). A text it cannot decide on is "" (unknown), never a guess.
tests/monitoring/test_language.py measures it on labelled short texts written for the project.

A fast path comes first (lingua was 62 % of the normaliser's time, py-spy, docs/performance.md):
a text that holds a word found only in French among the candidate languages ("dans",
"avec", "est", "c'est"...) and one more (shared words such as "le", "de" count half), and none
of the other languages' own frequent words ("the", "el", "und", "che"...), is
French without asking lingua. Most of a French crisis's signals take it; everything else
(short, mixed, other scripts) goes to lingua as before.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Final

from lingua import Language, LanguageDetectorBuilder

LANGUAGES: Final = {Language.FRENCH: "fr", Language.ENGLISH: "en", Language.SPANISH: "es",
                    Language.GERMAN: "de", Language.ITALIAN: "it", Language.PORTUGUESE: "pt",
                    Language.ARABIC: "ar", Language.DUTCH: "nl"}
# Under this many letters a text says too little ("ok", "???"): left unknown.
MIN_LETTERS: Final = 3
# Folded words common in French and absent (or rare) in the other candidates' texts: "des"
# (German), "du" (German), "qui" (Italian), "mais" and "ou" (Portuguese), "je" (Dutch),
# "les" (Spanish), "il" (Italian) and "sur" (Spanish) are left out on purpose.
FRENCH_ONLY: Final = frozenset(
    "est et une dans pas avec cette nous vous aux sont ont leur ces elle ils elles tres depuis "
    "chez pourquoi comment faut peut merci quoi rien aussi encore toujours sans quand aucun "
    "aujourd hui notre votre nos vos etait sera etes avons avez sommes ete cest".split())
# Frequent French words that other candidates share ("de", "la", "les"...): they count half,
# and only beside at least one French-only word.
FRENCH_SHARED: Final = frozenset(
    "le la les de des du un au il ce on pour sur qui que mais ou ne plus en je mon ma mes son "
    "sa ses se a".split())
# Frequent words of the other Latin-script candidates that a French text does not hold.
OTHER_MARKERS: Final = frozenset(
    "the and is of to you this that with are was for el los las del y es por con para una "
    "esta der die das und ist nicht ich wir het een niet van zijn il che della sono non "
    "per di nel sono e o os da do nao uma com".split())
_ELISION = re.compile(r"\b(?:c|d|j|l|n|qu|s)['’][a-zàâéèêëîïôûùüç]", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+")
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
    if looks_french(text):
        return "fr"
    found = _built().detect_language_of(text[:1000])
    return LANGUAGES.get(found, "") if found is not None else ""


def looks_french(text: str) -> bool:
    """True when `text` is plainly French (the fast path): French-only words or elisions
    (at least one, and two with the shared words counting half), none of another candidate
    language's own frequent words. False means "ask lingua"."""
    head = text[:1000]
    if not head.isascii() and any(c.isalpha() and ord(c) > 0x24F for c in head):
        return False  # another script (Arabic...): lingua decides
    words = [_plain(w) for w in _WORDS.findall(head.casefold())]
    if any(w in OTHER_MARKERS for w in words):
        return False
    strong = sum(w in FRENCH_ONLY for w in words) + len(_ELISION.findall(head))
    return strong >= 1 and strong + sum(w in FRENCH_SHARED for w in words) / 2 >= 2


_ACCENTS: Final = str.maketrans("àâäéèêëîïôöûùüç", "aaaeeeeiioouuuc")


def _plain(word: str) -> str:
    return word.translate(_ACCENTS)


# Frequent English words that French does not write (folded). Left out on purpose: "on", "me",
# "as", "a", "son", "est", "pour" (French words), "de", "la" (shared), "it" and "in" (kept:
# French SMS do not use them as words).
ENGLISH_MARKERS: Final = frozenset(
    "the and is are was were be been you your i my me we our us they their it its this that "
    "these those what where when how why who which can could should would will shall do does "
    "did have has had there here with from of to for in at any some please thanks thank hello "
    "hi help need tell get go going not no yes if or".split()) - frozenset({"me"})


def citizen_language(text: str) -> str:
    """"en" for a citizen's message written in English, "fr" for everything else.

    An SMS carries no language; the conversation's decides who answers it and which articles
    are searched. A French message taken for English would wait for an English-speaking
    operator, so English needs two votes: more English words than French ones, then lingua's
    verdict between the two languages. A French message holding no English word (nearly all)
    never reaches lingua. Measured on the project's French and English evaluation questions
    (docs/knowledge-base.md)."""
    head = text[:1000]
    words = _WORDS.findall(_plain(head.casefold()))  # folded once, not word by word
    if ENGLISH_MARKERS.isdisjoint(words):
        return "fr"
    english = sum(w in ENGLISH_MARKERS for w in words)
    french = (sum(w in FRENCH_ONLY or w in FRENCH_SHARED for w in words)
              + len(_ELISION.findall(head)))
    if english <= french:
        return "fr"
    return "en" if _between_french_and_english(head) == "en" else "fr"


_fr_en_detector: Any = None


def _between_french_and_english(text: str) -> str:
    """lingua between the two languages only, in its low-accuracy mode (trigrams): 10 MB and
    15 ms to build against 118 MB and 0.3 s for the full models of the two, and the same
    verdicts on the evaluation questions; every web process holds one."""
    global _fr_en_detector
    with _lock:
        if _fr_en_detector is None:
            _fr_en_detector = (LanguageDetectorBuilder.from_languages(Language.FRENCH, Language.ENGLISH)
                               .with_low_accuracy_mode().with_preloaded_language_models().build())
    values = _fr_en_detector.compute_language_confidence_values(text)
    confidence = {LANGUAGES.get(v.language, ""): v.value for v in values}
    return "en" if confidence.get("en", 0.0) > confidence.get("fr", 0.0) else "fr"
