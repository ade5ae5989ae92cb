from __future__ import annotations

from knowledge_base.synonyms import DEFAULT_SYNONYMS
from knowledge_base.text import SMS_SPELLINGS, fold, normalise_words, tokenise


def test_fold_removes_case_accents_punctuation_and_emoji() -> None:
    assert fold("L'ÉLECTRICITÉ revient quand ??? 😡") == "l electricite revient quand"
    assert fold("Cœur") == "coeur"


def test_sms_spellings_are_expanded_and_table_is_large() -> None:
    assert len(SMS_SPELLINGS) >= 40
    assert normalise_words("pk ya pas d eau mtn") == ["eau"]
    assert "evacuer" in normalise_words("jsp si on doit evacuer")


def test_synonyms_turn_slang_into_article_words() -> None:
    assert normalise_words("ou trouver de la flotte", synonyms=DEFAULT_SYNONYMS) == ["trouver", "eau"]
    assert "voiture" in normalise_words("ma bagnole", synonyms=DEFAULT_SYNONYMS)
    assert normalise_words("cat nat", synonyms=DEFAULT_SYNONYMS) == ["catastrophe", "naturelle"]


def test_accented_and_bare_spellings_give_the_same_stems() -> None:
    assert tokenise("évacuation des écoles") == tokenise("evacuation des ecoles")
    assert tokenise("inondations") == tokenise("inondation")


def test_english_uses_english_stop_words_and_stemmer() -> None:
    assert tokenise("Is the tap water safe to drink?", lang="en") == ["tap", "water", "safe", "drink"]


def test_mixed_scripts_and_markup_do_not_break_tokenising() -> None:
    assert tokenise("Привет 你好 <script>alert(1)</script>") == ["привет", "你好", "script", "alert", "1", "script"]


def test_the_noun_aide_keeps_its_own_stem() -> None:
    from knowledge_base.text import stem
    assert stem("aides") == stem("aide") != stem("aider")
    assert tokenise("aidez moi") == []  # a plea, not a topic


def test_familiar_french_is_glossed_in_standard_words() -> None:
    from knowledge_base.familiar import FAMILIAR_WORDS
    assert len(FAMILIAR_WORDS) >= 100
    assert all(fold(key) == key and fold(value) == value and 1 <= len(key.split()) <= 3
               for key, value in DEFAULT_SYNONYMS.items())
    assert normalise_words("mes gosses et mon frangin", synonyms=DEFAULT_SYNONYMS) == [
        "enfants", "frere", "proche"]
    assert normalise_words("la gadoue", synonyms=DEFAULT_SYNONYMS) == ["boue"]
    # set phrases of up to three words are replaced in one pass
    assert normalise_words("un coup de main", synonyms=DEFAULT_SYNONYMS) == ["aider"]


def test_everyday_names_of_things_reach_the_article_words() -> None:
    assert normalise_words("le generateur", synonyms=DEFAULT_SYNONYMS) == ["groupe", "electrogene"]
    assert normalise_words("la machine a laver", synonyms=DEFAULT_SYNONYMS) == ["electromenager", "appareils"]


def test_framing_verbs_and_fillers_are_stop_words() -> None:
    assert normalise_words("je fais quoi il veut un truc combien") == []
