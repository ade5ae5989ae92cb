"""Language detection measured on short texts written for the project (SMS-like, a few words)."""

from __future__ import annotations

from knowledge_base.language import detect_language

LABELLED = [
    ("fr", "peut on boire l'eau du robinet"), ("fr", "le pont est fermé ?"),
    ("fr", "coupure de courant rue Pasteur"), ("fr", "ou est le centre d'accueil"),
    ("fr", "mon fils est bloqué à l'école"), ("fr", "inondation a nantes"),
    ("fr", "les secours arrivent quand"), ("fr", "merci pour votre aide"),
    ("fr", "le barrage va céder"), ("fr", "plus de réseau depuis ce matin"),
    ("fr", "faut il évacuer le quartier"), ("fr", "on a besoin de sacs de sable"),
    ("en", "is the tap water safe to drink"), ("en", "where is the shelter"),
    ("en", "the bridge is closed"), ("en", "my car is stuck on the road"),
    ("en", "no power since this morning"), ("en", "thank you for the help"),
    ("es", "el agua del grifo es potable"), ("es", "dónde está el refugio"),
    ("es", "mi casa está inundada"), ("de", "ist das Leitungswasser trinkbar"),
    ("de", "wo ist die Notunterkunft"), ("it", "l'acqua del rubinetto è potabile"),
    ("it", "dove si trova il rifugio"), ("pt", "a água da torneira é potável"),
    ("pt", "onde fica o abrigo"), ("ar", "هل مياه الصنبور صالحة للشرب"),
    ("nl", "is het kraanwater drinkbaar"), ("nl", "waar is de opvang"),
]


def test_short_texts_are_told_apart() -> None:
    right = sum(detect_language(text) == lang for lang, text in LABELLED)
    french = [(lang, t) for lang, t in LABELLED if lang == "fr"]
    print(f"language accuracy {right}/{len(LABELLED)}")
    assert right / len(LABELLED) >= 0.9
    assert all(detect_language(t) == "fr" for _, t in french)


def test_too_little_text_is_unknown() -> None:
    assert detect_language("ok") == "" and detect_language("??? !!") == ""


def test_the_french_fast_path_never_disagrees_with_lingua() -> None:
    """The fast path (no lingua call) takes plainly French texts only: every text it takes,
    lingua also calls French, and it takes none of the other languages' texts."""
    from pathlib import Path

    from knowledge_base.language import LANGUAGES, _built, looks_french

    sentiment_set = Path(__file__).parent.parent / "monitoring" / "data" / "sentiment_fr.tsv"
    texts = [t for _, t in LABELLED] + [
        line.split("\t")[-1] for line in sentiment_set.read_text("utf-8").splitlines()
        if line and not line.startswith("#")]
    taken = [t for t in texts if looks_french(t)]
    assert not [t for lang, t in LABELLED if lang != "fr" and looks_french(t)]
    found = [_built().detect_language_of(t) for t in taken]
    assert all(LANGUAGES.get(f) == "fr" for f in found if f is not None)
    print(f"fast path: {len(taken)}/{len(texts)} texts")
    assert len(taken) >= len(texts) // 3  # it must pay: most French signals take it


def test_a_citizens_message_is_english_only_when_plainly_english() -> None:
    """An SMS carries no language; French taken for English would wait for an English-speaking
    operator. Measured on every question of the tuning evaluation sets (SMS spelling, typos,
    place names): no French one is taken for English, every English one is."""
    import json

    from knowledge_base.language import citizen_language
    from knowledge_base.tooling.calibration_sets import DATA

    french: list[str] = []
    english: list[str] = []
    for path in sorted(DATA.glob("kb-eval-*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                (english if item.get("lang") == "en" else french).append(item["q"])
    assert len(french) > 1000 and len(english) > 30
    assert [q for q in french if citizen_language(q) == "en"] == []
    assert [q for q in english if citizen_language(q) != "en"] == []
    assert citizen_language("") == "fr" and citizen_language("ok") == "fr"
    assert citizen_language("where can I sleep tonight, our hotel is flooded") == "en"
    assert citizen_language("le bus 21 roule, is it ok ?") == "fr"
