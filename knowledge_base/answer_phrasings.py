"""Phrasings an article has on day one, taken from its own answer: what each sentence answers.

Why: at crisis start the cell writes a question and an answer, no alternates, and a citizen
rarely restates the article's one question; they ask about one thing the answer says ("la viande
est encore mangeable ?" against "Jetez la viande restée plus de 2 heures..."). Each sentence or
list item of the answer becomes one generated phrasing, matched like a written one (the phrasing
re-rank), but it neither counts as a phrasing the cell wrote (the confidence's `phrasings`) nor
as a title word. The question a sentence answers ("faut-il couper l'électricité ?" for "Coupez
l'électricité") differs from the sentence only by stop words and inflection, which folding,
stop words and stems remove anyway, so the sentence itself is indexed.
"""

from __future__ import annotations

import re

# Markdown that is not words: links keep their text; emphasis, headings, quotes, bullets go.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`#>|]+")
# Sentence ends, list items and the clause breaks of a hurried answer (";", ":").
_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+\s*(?:[-+*]|\d+[.)])?\s*|\s+-\s+")
# Off: measured on the tuning sets (docs/knowledge-base.md, issue 18), the sentences moved
# precision@1 by nothing (0.718 -> 0.714) and recall@3 by +0.8 point, and made the 10,000-article
# rebuild 3x slower (0.6 -> 1.7 s) and the search about 25% slower (past 2x bm25s).
ENABLED = False
MIN_WORDS = 3  # "Dans le doute, jetez." says too little alone
MAX_PHRASINGS = 24  # bounds the index and the re-rank's work on a long answer


def answer_phrasings(answer: str) -> list[str]:
    """The sentences and list items of `answer` that can stand as a phrasing, in order
    (none while ENABLED is off)."""
    if not ENABLED:
        return []
    text = _MARKUP.sub(" ", _LINK.sub(r"\1", answer))
    result: list[str] = []
    for piece in _BREAK.split(text):
        piece = piece.strip(" .;:!?")
        if len(piece.split()) >= MIN_WORDS:
            result.append(piece)
            if len(result) == MAX_PHRASINGS:
                break
    return result
