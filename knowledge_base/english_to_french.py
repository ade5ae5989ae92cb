"""An English question turned into French words, for a centre that has no English article.

A tourist's SMS in English is searched among the English articles when the cell wrote some.
When it wrote none (the first hour of most crises), the question's words are looked up in an
English-French dictionary and the French index is searched with every translation: word by
word, each word's first senses, so the ranking sees "robinet" for "tap" and "route" for "road".
The auto-answer's calibrated threshold still decides; measured on the English questions of the
flood tuning sets against the French articles only (docs/knowledge-base.md): precision@1 0.16
untranslated, 0.35 translated, recall@3 0.68, one automatic answer in 38 and it was right.
So most such questions go to an operator, with better suggestions than before, and the reply
carries a note that the answer is in French (channels/answer_forms.py).

The dictionary is FreeDict's English-French (8,800 headwords, GPL-2.0-or-later), read from
Debian's `dict-freedict-eng-fra` package where it is installed; it is not shipped with the
centre (its licence is not the project's). Without it, English questions are searched
untranslated, as before.
"""

from __future__ import annotations

import functools
import gzip
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

DICTIONARY: Final = Path("/usr/share/dictd/freedict-eng-fra.dict.dz")
SENSES: Final = 6  # translations kept per word: the first are the common senses
MAX_DICTIONARY_BYTES: Final = 20 * 1024 * 1024  # decompressed; the package's is 0.9 MB

_HEADWORD = re.compile(r"^(\S.*?) /[^/]*/$")  # "road /roud/"
_NUMBERED = re.compile(r"^\d+\.\s*")  # "2. route, voie"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Words that carry no meaning of their own in a question (the articles' French index has its
# stop words too; these keep the dictionary from adding "nombre" for "number" of "a number of").
_STOP: Final = frozenset(
    "a an the is are was were be been am i my me we our us you your it its this that these those "
    "to of in on at for from by with and or not no yes if do does did can could should would will "
    "shall have has had what where when how why which who there here any some please hi hello ok "
    "thanks thank just still get got also very".split())


@functools.cache
def dictionary(path: Path = DICTIONARY) -> Mapping[str, tuple[str, ...]]:
    """English headword (lower case) -> French translations, in the dictionary's order; empty
    when the dictionary is not installed or unreadable (logged once)."""
    try:
        with gzip.open(path) as f:
            text = f.read(MAX_DICTIONARY_BYTES).decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, EOFError, UnicodeDecodeError) as err:
        log.warning("English-French dictionary unreadable; English questions are searched as "
                    "written", extra={"path": str(path), "error": str(err)})
        return {}
    entries: dict[str, list[str]] = {}
    head: list[str] | None = None
    for line in text.splitlines():
        found = _HEADWORD.match(line)
        if found:
            head = entries.setdefault(found.group(1).replace("\u2010", "-").lower(), [])
        elif head is not None and line.strip() and not line.startswith(" "):
            body = _NUMBERED.sub("", line.strip())
            head += [part.strip() for part in re.split(r"[,;]", body) if part.strip()]
    return {word: tuple(senses) for word, senses in entries.items() if senses}


def _lemma(word: str, entries: Mapping[str, tuple[str, ...]]) -> str | None:
    """The headword of an inflected English word (roads, closed, flooding, cities)."""
    candidates = [word]
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"),
                                ("ed", ""), ("ed", "e"), ("d", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            candidates.append(word[: -len(suffix)] + replacement)
    return next((c for c in candidates if c in entries), None)


def to_french(question: str, entries: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The question's meaningful words replaced by their French translations (a word the
    dictionary lacks, a place name, is kept as written); the question itself when there is no
    dictionary."""
    entries = dictionary() if entries is None else entries
    if not entries:
        return question
    words = _WORD.findall(question.lower())
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in entries:  # "power cut", "fire brigade"
            out += entries[pair][:SENSES]
            i += 2
            continue
        word = words[i]
        i += 1
        if word in _STOP:
            continue
        lemma = _lemma(word, entries)
        out += entries[lemma][:SENSES] if lemma else [word]
    return " ".join(out)
