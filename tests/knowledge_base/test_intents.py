from __future__ import annotations

import pytest

from knowledge_base.intents import Intent, detect_intent


@pytest.mark.parametrize("text, intent", [
    ("bonjour", Intent.GREETING), ("Bonsoir madame", Intent.GREETING), ("slt", Intent.GREETING),
    ("merci beaucoup !", Intent.THANKS), ("mrc", Intent.THANKS), ("au revoir", Intent.GOODBYE),
    ("je voudrais un humain", Intent.HUMAN), ("passez-moi quelqu'un", Intent.HUMAN),
    ("un conseiller", Intent.HUMAN), ("parler a une personne", Intent.HUMAN), ("agent", Intent.HUMAN),
    ("0", Intent.HUMAN), ("I want to speak to a person", Intent.HUMAN),
    ("", Intent.EMPTY), ("😡😡😡", Intent.EMPTY), ("?!...", Intent.EMPTY),
])
def test_conversational_messages_are_recognised(text: str, intent: Intent) -> None:
    assert detect_intent(text) is intent


@pytest.mark.parametrize("text", [
    "bonjour, l'eau du robinet est-elle potable ?", "merci, et les ecoles sont fermees ?",
    "personne agee isolee", "un agent de la mairie est passe chez moi hier pour voir les degats",
])
def test_a_question_with_a_formula_is_still_a_question(text: str) -> None:
    assert detect_intent(text) is Intent.QUESTION
