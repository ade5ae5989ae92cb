"""The knowledge base: articles, search, the auto-answer and its learning loop.

This module is the package's public surface, the only one the edge packages (channels,
static_site, monitoring) may import (an import-linter contract in pyproject.toml): the
`KnowledgeBase` object that the composition root builds once and hands to them, and the value
types its verbs take and return. Everything else in the package is its own business; the
offline tooling (`knowledge_base.tooling`) is not part of the runtime at all.

Each name is loaded on first use (PEP 562): importing a pure module of the package (the search
for a benchmark, the calibration's sets) does not bring Redis and the web stack with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge_base.alternates import AlternateProposal, ValidatedAlternates, group_by_article
    from knowledge_base.answer import MAX_QUESTION_CHARS, AutoAnswer
    from knowledge_base.article import (
        MAX_QUESTION, SMS_MAX_SEPTETS, Article, derive_sms_text, gsm7_alphabet, gsm7_septets,
        parse_article_lines,
    )
    from knowledge_base.char_similarity import (
        Profile, char_grams, char_profile, cosine, coverage, words_profile,
    )
    from knowledge_base.clusters import MissingAnswer
    from knowledge_base.importing import ImportReport, read_article_files
    from knowledge_base.intents import Intent
    from knowledge_base.language import citizen_language, detect_language
    from knowledge_base.lifecycle import ArticleAction
    from knowledge_base.retention import CitizenTextPurge
    from knowledge_base.second_look import SecondLook, second_look_available
    from knowledge_base.service import KNOWLEDGE_BASE, KnowledgeBase, Suggestion, question_of
    from knowledge_base.snapshot import AnswerSnapshot
    from knowledge_base.store import ArticleVersion
    from knowledge_base.text import fold_words, stem, tokenise

# Public name -> the module that defines it (the imports above, for the type checker).
_HOMES: dict[str, str] = {
    **dict.fromkeys(("AlternateProposal", "ValidatedAlternates", "group_by_article"), "alternates"),
    **dict.fromkeys(("MAX_QUESTION_CHARS", "AutoAnswer"), "answer"),
    **dict.fromkeys(("MAX_QUESTION", "SMS_MAX_SEPTETS", "Article", "derive_sms_text", "gsm7_alphabet",
                     "gsm7_septets", "parse_article_lines"), "article"),
    **dict.fromkeys(("Profile", "char_grams", "char_profile", "cosine", "coverage", "words_profile"), "char_similarity"),
    "MissingAnswer": "clusters",
    **dict.fromkeys(("ImportReport", "read_article_files"), "importing"),
    "Intent": "intents",
    **dict.fromkeys(("citizen_language", "detect_language"), "language"),
    "ArticleAction": "lifecycle",
    "CitizenTextPurge": "retention",
    **dict.fromkeys(("SecondLook", "second_look_available"), "second_look"),
    **dict.fromkeys(("KNOWLEDGE_BASE", "KnowledgeBase", "Suggestion", "question_of"), "service"),
    "AnswerSnapshot": "snapshot",
    "ArticleVersion": "store",
    **dict.fromkeys(("fold_words", "stem", "tokenise"), "text"),
}
__all__ = [
    "KNOWLEDGE_BASE", "MAX_QUESTION", "MAX_QUESTION_CHARS", "SMS_MAX_SEPTETS",
    "AlternateProposal", "AnswerSnapshot", "Article", "ArticleAction", "ArticleVersion", "AutoAnswer",
    "CitizenTextPurge", "ImportReport", "Intent", "KnowledgeBase", "MissingAnswer", "Suggestion",
    "Profile", "SecondLook", "ValidatedAlternates",
    "char_grams", "char_profile", "citizen_language", "cosine", "coverage", "derive_sms_text",
    "detect_language", "fold_words",
    "group_by_article", "gsm7_alphabet", "gsm7_septets", "parse_article_lines", "question_of",
    "read_article_files", "second_look_available", "stem", "tokenise", "words_profile",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # also how `from knowledge_base import <submodule>` falls back to the import
        raise AttributeError(f"module 'knowledge_base' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"knowledge_base.{home}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
