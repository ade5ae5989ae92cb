from __future__ import annotations

import pytest

from knowledge_base.answer import feature_values
from knowledge_base.char_similarity import CharSimilarity, char_profile, cosine
from knowledge_base.search import SearchIndex


def test_a_misspelt_inflected_question_stays_close_to_its_phrasing() -> None:
    phrasing = char_profile("Ma voiture a été inondée, que faire ?", "fr")
    # No shared word survives as typed ("inondee" vs "innondée", "voitur"), yet most 4-grams do.
    assert cosine(char_profile("ma voitur est innondee", "fr"), phrasing) > 0.4
    assert cosine(char_profile("ou dormir ce soir", "fr"), phrasing) == 0.0
    assert cosine(phrasing, phrasing) == pytest.approx(1.0)


def test_stop_words_sms_spellings_and_empty_text() -> None:
    # Only content words count, after SMS spellings are expanded ("elec" is electricite).
    assert char_profile("est-ce que je peux ?", "fr") == {}
    assert cosine(char_profile("elec", "fr"), char_profile("électricité", "fr")) == pytest.approx(1.0)
    assert cosine({}, char_profile("électricité", "fr")) == 0.0


def test_similarities_follow_the_docs_asked_for() -> None:
    similarity = CharSimilarity(["coupure de courant électricité", "eau potable robinet"], "fr")
    first, second = similarity.similarities("plus de courant", [0, 1])
    assert first > 0.3 and second == 0.0
    assert similarity.similarities("plus de courant", [1, 0]) == [second, first]


def test_the_auto_answer_evidence_carries_the_second_opinion(flood_index: SearchIndex) -> None:
    analysis = flood_index.analyse("tjrs pas d elec depuis hier soir", limit=3)
    assert analysis.hits[0].article_id == "coupure-electricite"
    assert len(analysis.hits) == 3 and analysis.hits[0].char_similarity > 0
    features = feature_values(analysis)
    assert features["char_similarity"] == analysis.hits[0].char_similarity
    assert features["char_margin"] > 0  # the character ranker agrees on the top hit
    # Plain searches (the hot path) skip it.
    plain = flood_index.analyse("tjrs pas d elec depuis hier soir", limit=3, evidence=False)
    assert [h.article_id for h in plain.hits] == [h.article_id for h in analysis.hits]
    assert all(hit.char_similarity == 0.0 for hit in plain.hits)
