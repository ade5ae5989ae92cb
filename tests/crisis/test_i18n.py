"""The message tables' lookup: French first, and counts in each language's grammar."""

from __future__ import annotations

from crisis.i18n import translate, translate_count

TABLE = {"added.one": {"fr": "{n} formulation ajoutée", "en": "{n} phrasing added"},
         "added.many": {"fr": "{n} formulations ajoutées", "en": "{n} phrasings added"},
         "only_fr": {"fr": "seulement en français"}}


def test_a_missing_language_or_translation_falls_back_to_french() -> None:
    assert translate(TABLE, "only_fr", "en") == "seulement en français"
    assert translate(TABLE, "added.one", "de") == "{n} formulation ajoutée"


def test_counts_follow_each_language_grammar() -> None:
    assert translate_count(TABLE, "added", 0, "fr") == "0 formulation ajoutée"
    assert translate_count(TABLE, "added", 0, "en") == "0 phrasings added"
    assert translate_count(TABLE, "added", 1, "en") == "1 phrasing added"
    assert translate_count(TABLE, "added", 3, "fr") == "3 formulations ajoutées"
