from __future__ import annotations

import pytest

from crisis.errors import InvalidInput
from knowledge_base.answer import DEFAULT_THRESHOLD, MAX_QUESTION_CHARS, auto_answer
from knowledge_base.intents import Intent
from knowledge_base.search import SearchIndex


def test_clear_question_is_answered_with_high_confidence(flood_index: SearchIndex) -> None:
    result = auto_answer(flood_index, "je peux remettre le disjoncteur ?")
    assert result.answer_id == "remise-electricite-logement"
    assert DEFAULT_THRESHOLD <= result.confidence <= 1.0
    assert result.intent is Intent.QUESTION
    assert 1 <= len(result.candidates) <= 3 and result.candidates[0][0] == result.answer_id


def test_out_of_scope_question_goes_to_a_person(flood_index: SearchIndex) -> None:
    for question in ["quel temps il fera ce weekend a paris", "comment payer mes impots en ligne",
                     "resultat du match psg"]:
        result = auto_answer(flood_index, question)
        assert result.answer_id is None and result.confidence < DEFAULT_THRESHOLD


@pytest.mark.parametrize("question, intent", [("bonjour", Intent.GREETING), ("merci !", Intent.THANKS),
                                              ("passez-moi quelqu'un", Intent.HUMAN), ("😡😡", Intent.EMPTY)])
def test_conversational_messages_are_never_auto_answered(flood_index: SearchIndex, question: str,
                                                         intent: Intent) -> None:
    result = auto_answer(flood_index, question)
    assert (result.answer_id, result.intent, result.confidence) == (None, intent, 0.0)


def test_a_stricter_channel_threshold_withholds_the_answer(flood_index: SearchIndex) -> None:
    question = "on peut boire leau du robinet??"
    assert auto_answer(flood_index, question).answer_id == "eau-potable"
    assert auto_answer(flood_index, question, threshold=1.0).answer_id is None


@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_is_invalid_input(flood_index: SearchIndex, question: str) -> None:
    with pytest.raises(InvalidInput, match="question is empty"):
        auto_answer(flood_index, question)


def test_too_long_question_names_the_limit(flood_index: SearchIndex) -> None:
    with pytest.raises(InvalidInput, match=str(MAX_QUESTION_CHARS)):
        auto_answer(flood_index, "eau " * 600)


@pytest.mark.parametrize("question", ["<script>alert(document.cookie)</script>", "' OR 1=1; DROP TABLE kb;--",
                                      "[clic ici](javascript:alert(1))", "Привет 你好 مرحبا"])
def test_injection_and_foreign_scripts_are_handled_safely(flood_index: SearchIndex, question: str) -> None:
    result = auto_answer(flood_index, question)
    assert 0.0 <= result.confidence <= 1.0
    assert result.answer_id is None


def test_the_most_specific_word_missing_from_the_top_article_is_a_feature(flood_index: SearchIndex) -> None:
    from knowledge_base.answer import feature_values
    # "ramassage" names the school bus; the public-transport article never says it
    swapped = feature_values(flood_index.analyse("le bus du ramassage scolaire passe demain"))
    assert swapped["specific_missing"] == 1.0
    assert feature_values(flood_index.analyse("odeur de gaz que faire"))["specific_missing"] == 0.0
