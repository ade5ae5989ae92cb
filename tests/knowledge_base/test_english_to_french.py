"""English questions at a centre that wrote French articles only: searched in French through a
word-by-word translation, and told the answer is in French (tests/channels/test_sms.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

from knowledge_base.article import parse_article_lines
from knowledge_base.english_to_french import DICTIONARY, dictionary, to_french
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.calibration_sets import DATA

ENTRIES = {"tap": ("robinet",), "water": ("eau",), "drink": ("boire",), "road": ("route", "voie"),
           "close": ("fermer",), "power cut": ("coupure de courant",), "school": ("école",)}


def test_meaningful_words_are_translated_and_the_rest_kept() -> None:
    assert to_french("Is the tap water OK to drink?", ENTRIES) == "robinet eau boire"
    assert to_french("roads closed near Albi", ENTRIES) == "route voie fermer near albi"
    assert to_french("another power cut at the school", ENTRIES) == \
        "another coupure de courant école"
    assert to_french("what??", ENTRIES) == ""


def test_without_a_dictionary_the_question_is_searched_as_written(tmp_path: Path) -> None:
    assert to_french("Is the tap water OK?", {}) == "Is the tap water OK?"
    assert dictionary(tmp_path / "absent.dict.dz") == {}
    broken = tmp_path / "broken.dict.dz"
    broken.write_bytes(b"not gzip at all")
    assert dictionary(broken) == {}


def test_the_dictionary_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "small.dict.dz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("00-database-info\nsome header\n"
                "tap /tap/\n1. forer, toucher\n2. taper\n3. robinet\n"
                "water\u2010 /w/\naquatique\nwater /w/\n1. eau, onde\n")
    entries = dictionary(path)
    assert entries["tap"] == ("forer", "toucher", "taper", "robinet")
    assert entries["water"] == ("eau", "onde") and entries["water-"] == ("aquatique",)


def test_an_english_question_finds_the_french_article_when_no_english_one_exists() -> None:
    assert DICTIONARY.exists(), "apt-get install dict-freedict-eng-fra (.ci/run installs it)"
    lines = (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()
    articles = parse_article_lines(lines)
    french_only = SearchIndex([a for a in articles if a.lang == "fr"])
    assert french_only.search("is the tap water safe to drink?", lang="en")[0].article_id == "eau-potable"
    assert french_only.search("are the schools closed", lang="en")[0].article_id == "ecoles-fermees"
    # With English articles, English questions stay in English.
    both = SearchIndex(articles)
    assert both.search("is the tap water safe to drink?", lang="en")[0].article_id == "drinking-water-en"
