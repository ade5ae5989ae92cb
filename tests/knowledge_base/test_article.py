from __future__ import annotations

import pytest

from crisis.errors import InvalidInput
from knowledge_base.article import (MAX_ALTERNATES, SMS_MAX_SEPTETS, Article, article_to_json_line, derive_sms_text,
                                    gsm7_septets, parse_article_lines, with_alternates)

GOOD = '{"id": "eau-potable", "question": "L eau est-elle potable ?", "answer": "Non, **pas encore**."}'


def test_minimal_line_gets_contract_defaults() -> None:
    [article] = parse_article_lines([GOOD])
    assert (article.lang, article.audience, article.status) == ("fr", "public", "published")
    assert article.sms == "Non, pas encore."


def test_every_bad_line_is_reported_at_once_with_its_number() -> None:
    lines = [GOOD, '{"id": "a", "question": "q", "answer": "r", "foo": 1}', "",
             '{"id": "b", "question": "q"}', "not json", '{"id": "Bad Id", "question": "q", "answer": "r"}', GOOD]
    with pytest.raises(InvalidInput) as caught:
        parse_article_lines(lines)
    message = caught.value.message
    assert "line 2: unknown field 'foo'" in message
    assert "line 4: missing required field 'answer'" in message
    assert "line 5:" in message and "line 6: field 'id'" in message
    assert "line 7: duplicate id 'eau-potable'" in message


@pytest.mark.parametrize("field, value", [("question", "x" * 501), ("answer", "x" * 20_001),
                                          ("alternates", ["x"] * (MAX_ALTERNATES + 1)), ("lang", "de"), ("status", "live")])
def test_bounds_and_enumerations_are_enforced(field: str, value: object) -> None:
    import json
    line = json.loads(GOOD)
    line[field] = value
    with pytest.raises(InvalidInput, match=f"line 1: field '{field}'"):
        parse_article_lines([json.dumps(line)])


def test_sms_text_must_fit_three_gsm7_segments() -> None:
    with pytest.raises(InvalidInput, match="459"):
        parse_article_lines(['{"id": "a", "question": "q", "answer": "r", "sms_text": "' + "a" * 460 + '"}'])
    with pytest.raises(InvalidInput, match="GSM-7"):
        parse_article_lines(['{"id": "a", "question": "q", "answer": "r", "sms_text": "emoji 😀"}'])


def test_derived_sms_is_plain_gsm7_and_cut_on_a_word(flood_articles: list[Article]) -> None:
    long = derive_sms_text("**Attention** : " + "inondation très grave " * 60)
    assert long.endswith("...") and "**" not in long
    for article in flood_articles:
        septets = gsm7_septets(article.sms)
        assert septets is not None and septets <= SMS_MAX_SEPTETS, article.id


def test_export_then_import_gives_the_same_articles(flood_articles: list[Article]) -> None:
    assert parse_article_lines(article_to_json_line(a) for a in flood_articles) == flood_articles


def test_flood_set_has_thirty_french_articles_and_some_english(flood_articles: list[Article]) -> None:
    assert sum(a.lang == "fr" for a in flood_articles) >= 30
    assert sum(a.lang == "en" for a in flood_articles) >= 8


def test_with_alternates_adds_only_new_phrasings_and_keeps_the_bound() -> None:
    article = Article(id="eau-potable", question="L'eau du robinet est-elle potable ?", answer="Oui.",
                      alternates=["on peut boire l eau"])
    learned, added = with_alternates(article, ["  peut on   boire l'eau  ", "L'EAU DU ROBINET EST-ELLE POTABLE ?",
                                               "On peut boire l'eau", "peut on boire l eau"])
    assert added == ["peut on boire l'eau"] and learned.alternates == ["on peut boire l eau", "peut on boire l'eau"]
    assert with_alternates(learned, ["on peut boire l eau"]) == (learned, [])
    with pytest.raises(InvalidInput, match="over 100"):
        with_alternates(article, [f"phrasing {n}" for n in range(MAX_ALTERNATES)])
