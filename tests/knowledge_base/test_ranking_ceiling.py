"""The ceiling study's pieces that its figures rest on (knowledge_base/tooling/ranking_ceiling.py)."""

import numpy as np

from knowledge_base.tooling.ranking_ceiling import ALL_CRISES, Line, fused_top3, sentences


def test_an_answer_is_cut_into_its_sentences_and_list_items() -> None:
    answer = ("Rejoignez le **gymnase Jean-Moulin** avant 20 h. Prenez vos papiers et vos "
              "médicaments.\n- Les animaux sont acceptés en cage.\n- Appelez le 15 si besoin.\n"
              "1. Fermez le gaz : c'est essentiel.")
    assert sentences(answer) == [
        "Rejoignez le gymnase Jean-Moulin avant 20 h.", "Prenez vos papiers et vos médicaments.",
        "Les animaux sont acceptés en cage.", "Appelez le 15 si besoin.",
        "Fermez le gaz : c'est essentiel."]
    assert sentences("Oui.") == []  # too short to say anything on its own


def test_the_fused_ranking_is_the_products() -> None:
    """Same rule as SemanticIndex.fused: lexical share plus weight x z-scored cosine, the
    closest articles by meaning added even when the lexical list lacks them."""
    line = Line("x", "b", ["a", "c"], [10.0, 9.0], ["a", "b", "c"],
                {"q": np.array([0.1, 0.9, 0.2])})
    cos = line.cos["q"]
    assert fused_top3(line, cos, 0.0) == ["a", "c", "b"]  # lexical order; b only by meaning
    assert fused_top3(line, cos, 1.0)[0] == "b"


def test_every_crisis_is_named_and_on_disk() -> None:
    assert len(ALL_CRISES) == 14
    for articles, evals in ALL_CRISES.values():
        assert articles.exists() and all(p.exists() for p in evals)
