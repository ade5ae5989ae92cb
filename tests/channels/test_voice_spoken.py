"""The spoken form of an answer: what the IVR reads (no URL, no Markdown, numbers as words)."""

from __future__ import annotations

import re

import pytest

from channels.voice.numbers import english, french
from channels.voice.spoken import spoken_form
from knowledge_base import parse_article_lines
from knowledge_base.tooling.calibration_sets import DATA



@pytest.mark.parametrize(("n", "words"), [
    (0, "zéro"), (17, "dix-sept"), (21, "vingt et un"), (71, "soixante et onze"),
    (80, "quatre-vingts"), (81, "quatre-vingt-un"), (99, "quatre-vingt-dix-neuf"),
    (112, "cent douze"), (200, "deux cents"), (280, "deux cent quatre-vingts"),
    (2026, "deux mille vingt-six"), (80_000, "quatre-vingt mille"),
    (2_000_000, "deux millions"), (1_000_001, "un million un"),
])
def test_french_numbers(n: int, words: str) -> None:
    assert french(n) == words


@pytest.mark.parametrize(("n", "words"), [
    (112, "one hundred and twelve"), (45, "forty-five"), (1005, "one thousand and five"),
    (2_300_000, "two million three hundred thousand"),
])
def test_english_numbers(n: int, words: str) -> None:
    assert english(n) == words


def test_markdown_links_and_lists_become_plain_sentences() -> None:
    text = ("**Montez** à l'étage. Voir [le site](https://www.gouv.fr/crue) ou "
            "www.vigicrues.gouv.fr.\n\n- Coupez le gaz\n- Ne prenez pas la voiture")
    spoken = spoken_form(text, "fr")
    assert "http" not in spoken and "www" not in spoken and "gouv" not in spoken
    assert not re.search(r"[*_#`\[\]()]", spoken)
    assert "Montez à l'étage. Voir le site ou le site internet." in spoken
    assert spoken.endswith("Coupez le gaz. Ne prenez pas la voiture.")


def test_emergency_and_phone_numbers_times_units() -> None:
    spoken = spoken_form("Appelez le 112 ou le 0 800 130 000, ou le 01 23 45 67 89. "
                         "Réunion à 18h30 ; 2,5 km ; 30 % ; le 1er étage ; 10 000 foyers ; 3 min.",
                         "fr")
    assert "cent douze" in spoken
    assert "zéro, huit cents, cent trente, zéro zéro zéro" in spoken
    assert "zéro un, vingt-trois, quarante-cinq, soixante-sept, quatre-vingt-neuf" in spoken
    assert "dix-huit heures trente" in spoken
    assert "deux virgule cinq kilomètres" in spoken and "trente pour cent" in spoken
    assert "premier étage" in spoken and "dix mille foyers" in spoken
    assert "trois minutes" in spoken
    assert spoken_form("au moins 1 minute, à 21 h", "fr") == \
        "au moins une minute, à vingt et une heures."
    assert not re.search(r"\d", spoken)


def test_english_is_read_in_english() -> None:
    spoken = spoken_form("Call **112**. See https://gouv.fr. 2.5 km, 3rd floor, 45 %", "en")
    assert spoken == ("Call one hundred and twelve. See the website. two point five "
                      "kilometres, third floor, forty-five per cent.")


def test_every_validated_answer_of_the_flood_base_has_a_clean_spoken_form() -> None:
    lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
    for article in parse_article_lines(lines):
        spoken = spoken_form(article.answer, article.lang)
        assert spoken, article.id
        assert not re.search(r"https?:|www\.|[*_#`\[\]<>|]|\d", spoken), (article.id, spoken)
