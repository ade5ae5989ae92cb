"""The ceiling study's pieces that its figures rest on (knowledge_base/tooling/ranking_ceiling.py)."""

import numpy as np

from knowledge_base.hits import SearchHit
from knowledge_base.semantic import SEMANTIC_WEIGHT, Embedder, SemanticIndex
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
    # At the product's weight the study's copy of the rule ranks as SemanticIndex.fused does
    # (an index whose vectors are the identity turns a "query vector" into these cosines).
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(3, 40))
        ids = [f"a{i}" for i in range(n)]
        lexical = sorted(rng.choice(ids, size=int(rng.integers(0, min(n, 20))), replace=False),
                         key=str)
        scores = sorted(rng.random(len(lexical)) * 10, reverse=True)
        cosines = rng.random(n).astype(np.float32)
        study = fused_top3(Line("x", None, list(lexical), list(scores), ids, {}),
                           cosines.astype(np.float64), SEMANTIC_WEIGHT)
        index = SemanticIndex(ids, np.eye(n, dtype=np.float32), Embedder())
        ranking = index.fused(cosines, [SearchHit(a, float(v)) for a, v in zip(lexical, scores)])
        assert ranking is not None and study == ranking.ids[:3]


def test_every_crisis_is_named_and_on_disk() -> None:
    assert len(ALL_CRISES) == 14
    for articles, evals in ALL_CRISES.values():
        assert articles.exists() and all(p.exists() for p in evals)
