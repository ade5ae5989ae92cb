"""Conversational intents (greetings, thanks, asking for a person...) that are never auto-answered."""

from __future__ import annotations

import re
from enum import StrEnum

from knowledge_base.text import SMS_SPELLINGS, fold


class Intent(StrEnum):
    """What a message is, before any search: only QUESTION may get an automatic answer."""

    QUESTION = "question"
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    HUMAN = "human"  # asks for a person: route to an operator
    EMPTY = "empty"  # nothing but emoji, punctuation or whitespace


# Why: these requests come in many forms, and a citizen who asks for a person and gets a
# canned answer instead is angrier than one who waits. Patterns run on folded text.
_HUMAN_PATTERNS = re.compile(
    r"\b(?:humains?|humaine|vraie? personnes?|personne reelle|etre humain"
    r"|(?:parler|discuter|passe[rz]?|passes|mett\w* en (?:relation|contact)|joindre|avoir|veux|voudrais"
    r"|faut|besoin d)\b.{0,30}\b(?:une? personne|quelqu un|qqn|quelquun|conseill\w*|operat\w*"
    r"|agents?|interlocut\w*|responsable|standard)"
    r"|^(?:un |une |le |la |l )?(?:conseill\w*|operat\w*|agents?|interlocut\w*|standard)$"
    r"|^(?:0|zero|talk to (?:a )?(?:person|human|someone|agent))$"
    r"|\b(?:real person|human agent|speak to (?:a |an )?(?:person|human|someone|agent|operator)))\b"
)
# Why: whole-message formulas; a message is one of these intents only if nothing else is
# left once they and politeness filler are removed ("bonjour, l'eau est potable ?" is a question).
_GREETINGS = frozenset("bonjour bonsoir salut coucou hello hi hey allo yo cc re".split())
_THANKS = frozenset("merci thanks thank thx remercie remerciements beaucoup infiniment top super "
                    "parfait genial cool nickel ok okay daccord accord compris".split())
_GOODBYES = frozenset("au revoir bye ciao tchao adieu bonne nuit soiree journee".split())
_FORMULAS = _GREETINGS | _THANKS | _GOODBYES
_FILLER = frozenset("madame monsieur mme mr m messieurs dames a vous toi tous et encore pour tout ca va "
                    "bien le la les de d du s il te plait svp stp oui non you very much so lot moi je "
                    "j ai the for".split())


def _words(text: str) -> list[str]:
    out: list[str] = []
    for token in fold(text).split():
        out.extend(SMS_SPELLINGS.get(token, token).split())
    return out


def detect_intent(text: str) -> Intent:
    """Classify one message; anything with content beyond formulas and filler is a QUESTION."""
    words = _words(text)
    if not words:
        return Intent.EMPTY
    # Bounded length: a long message that mentions an agent is usually a question about one.
    if len(words) <= 15 and _HUMAN_PATTERNS.search(" ".join(words)):
        return Intent.HUMAN
    if not all(w in _FORMULAS or w in _FILLER for w in words):
        return Intent.QUESTION
    if any(w in _THANKS for w in words):
        return Intent.THANKS
    if any(w in _GOODBYES for w in words):
        return Intent.GOODBYE
    return Intent.GREETING
