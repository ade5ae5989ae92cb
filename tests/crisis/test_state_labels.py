"""Every value of every enum of the vocabulary reads as words on a page, in both languages."""

from __future__ import annotations

import inspect
from enum import StrEnum

import pytest

import crisis.types
from crisis.state_labels import STATE_LABELS, state_label
from crisis.types import LANGS, ArticleStatus, ConversationStatus, CrisisState, PublicationStatus

ENUMS = [value for _, value in inspect.getmembers(crisis.types, inspect.isclass)
         if issubclass(value, StrEnum) and value is not StrEnum
         and value.__module__ == "crisis.types"]


def test_the_states_of_the_brief_are_among_the_enums_checked() -> None:
    assert {CrisisState, PublicationStatus, ArticleStatus, ConversationStatus} <= set(ENUMS)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_value_has_a_label_in_every_language(enum: type[StrEnum]) -> None:
    labels = STATE_LABELS.get(enum.__name__, {})
    missing = [(member.value, lang) for member in enum for lang in LANGS
               if not labels.get(member.value, {}).get(lang, "").strip()]
    assert missing == [], f"{enum.__name__} has no label for {missing}"
    assert set(labels) == {member.value for member in enum}, "a label for no value"


def test_french_pages_read_french() -> None:
    assert state_label(PublicationStatus.PUBLISHED, "fr") == "publiée"
    assert state_label(ArticleStatus.PUBLISHED, "fr") == "publié"
    assert state_label(ConversationStatus.QUEUED, "fr") == "en file"
    assert state_label(ConversationStatus.QUEUED, "en") == "queued"
    assert state_label(CrisisState.DE_ESCALATING, "de") == "en désescalade"  # French fallback
