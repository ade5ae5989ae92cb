from __future__ import annotations

import numpy as np
import pytest

from knowledge_base import rerank
from knowledge_base.calibration import public_index
from knowledge_base.rerank import FEATURES, RERANK_L2, RERANK_WEIGHTS, Labelled, Memory
from knowledge_base.rerank_fit import Example, examples, fit, fit_softmax, memory_lines, out_of_fold, ranking, search_order
from knowledge_base.search import SearchIndex


@pytest.fixture(scope="module")
def sets() -> dict[str, list[Example]]:
    return examples(public_index())


def test_refitting_reproduces_the_committed_weights_and_memory(sets: dict[str, list[Example]]) -> None:
    assert fit(sets, list(sets), RERANK_L2) == RERANK_WEIGHTS
    assert rerank.MEMORY_FILE.read_bytes().splitlines() == memory_lines()


def test_out_of_fold_the_reranker_raises_precision_at_1_and_no_set_loses(sets: dict[str, list[Example]]) -> None:
    # Each set re-ranked by weights and a memory that never saw it (docs/knowledge-base.md,
    # 2026-11-30 (3)): 547 -> 562 right top hits of 601 when committed.
    base, oof = search_order(sets), out_of_fold(sets, RERANK_L2)
    before = after = 0
    for name in sets:
        n, b1, b3 = ranking(sets[name], base[name])
        _, a1, a3 = ranking(sets[name], oof[name])
        assert a1 >= b1 and a3 >= b3 - 1, name
        before, after = before + b1, after + a1
    assert after >= before + 10


def test_zero_weights_keep_the_search_order(flood_index: SearchIndex) -> None:
    question = "je peux rentrer chez moi ou c'est encore dangereux ?"
    found = rerank.candidates(flood_index, question, "fr", None)
    analysis, evidence = rerank.reranked(found, (0.0,) * len(FEATURES))
    assert [h.article_id for h in analysis.hits] == [h.article_id for h in flood_index.analyse(question, limit=5).hits]
    assert evidence["memory"] == 0.0


def test_the_top_hit_of_the_auto_answer_has_the_search_evidence(flood_index: SearchIndex) -> None:
    # Whatever the re-ranker puts first gets the coverage evidence the confidence needs.
    for question in ["la route est sous l'eau je tente le coup en voiture ?", "ma voiture a pris l'eau"]:
        analysis, _ = rerank.analyse(flood_index, question)
        assert analysis.hits and analysis.hits[0].coverage > 0


def test_memory_weighs_the_subject_over_the_frame() -> None:
    memory = Memory([Labelled("est-ce que l'école est fermée demain ?", "ecoles"),
                     Labelled("est-ce que la route est fermée demain ?", "routes"),
                     Labelled("ma cave est inondée, comment pomper ?", "cave")])
    school, road, cellar = memory.best("les écoles sont fermées demain ?", "fr", ["ecoles", "routes", "cave"])
    assert school > road > cellar
    # A subject no labelled question has ("piscine") keeps the frame's similarity low.
    assert memory.best("est ce que la piscine est fermee demain", "fr", ["ecoles"])[0] < school
    assert memory.best("anything", "en", ["ecoles"]) == [0.0]


def test_softmax_fit_recovers_a_known_preference() -> None:
    rng = np.random.default_rng(3)
    true = np.zeros(len(FEATURES))
    true[0], true[1] = 2.0, -1.0
    groups = []
    for _ in range(400):
        x = rng.normal(size=(4, len(FEATURES)))
        p = np.exp(x @ true)
        groups.append((x, int(rng.choice(4, p=p / p.sum()))))
    w = fit_softmax(groups, l2=0.01)
    assert abs(w[0] - 2.0) < 0.5 and abs(w[1] + 1.0) < 0.5 and max(abs(v) for v in w[2:]) < 0.4
