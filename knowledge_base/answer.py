"""The auto-answer: best article for a citizen's question with a calibrated confidence, or none."""

from __future__ import annotations

import math
from dataclasses import dataclass

from crisis.errors import InvalidInput
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.hits import QueryAnalysis
from knowledge_base.search import K1, SearchIndex

MAX_QUESTION_CHARS = 2_000
CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Confidence = logistic(bias + sum(weight * feature)) over the named features of
    `feature_values`."""

    features: tuple[str, ...]
    bias: float
    weights: tuple[float, ...]

    def confidence(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values[name] for w, name in zip(self.weights, self.features))
        return 1.0 / (1.0 + math.exp(-z))


# Two models, by the state of the top article. Written in a hurry, an article has a question and
# a few alternates; a prepared one (the flood scenario's) has a dozen or more, and the learning
# loop adds the questions operators answered with it, dozens for a busy article. Many phrasings
# change what a close phrasing proves (some phrasing is near an unrelated question by chance),
# so articles with many have their own model.
LEARNED_PHRASINGS = 12  # phrasings (question + alternates) from which LEARNED_MODEL scores an article
# Fitted by `python -m knowledge_base.tooling.calibration` (L2-regularised logistic regression,
# label 1 when the top hit is the expected article): COLD_MODEL on the main set and the nine
# holdouts, LEARNED_MODEL on the same sets once the learning loop has taken in the other sets'
# questions (knowledge_base.tooling.learning_simulation). Features, regularisation and thresholds
# were chosen by cross-validation leaving one whole set out (docs/knowledge-base.md), and the
# learned model's bias is shifted so that one threshold serves both. Refit when the ranking
# changes; tests/knowledge_base/test_calibration.py checks the constants are a refit's.
COLD_MODEL = ConfidenceModel(
    features=("coverage", "margin", "phrasing", "phrasing_margin", "unknown_share", "terms",
              "char_similarity", "char_margin", "explained_terms", "neighbour", "phrasings"),
    bias=-2.91,
    weights=(0.171, 2.296, 1.841, -0.782, -0.203, 0.959, 0.902, 1.927, 1.704, 0.887, -0.46))
LEARNED_MODEL = ConfidenceModel(
    features=("coverage", "margin", "phrasing", "phrasing_margin", "unknown_share", "terms",
              "char_similarity", "char_margin", "phrasings", "vote"),
    bias=-5.771,
    weights=(2.811, 1.513, 2.275, 0.446, -0.277, 1.735, 3.579, 2.358, -0.274, 1.159))
# Chosen by the same cross-validation for precision (a wrong automatic answer in a crisis is
# worse than a short wait for an operator): the lowest threshold whose wrong answers, out of
# fold and with the final fit, stay under 1.5% of the ten sets pooled and 2% of each, in
# either state. Channels may pass a stricter one.
DEFAULT_THRESHOLD = 0.91
# A question not answered is offered its likeliest articles to pick by number (channels'
# queue notice) from this confidence of the best one on: a wrong pick costs the citizen
# nothing (they keep their place in the queue), but a menu of unrelated titles is noise.
CHOICES_CONFIDENCE = 0.2


@dataclass(frozen=True, slots=True)
class AutoAnswer:
    """The outcome for one question: `answer_id` is None when it must go to a person."""

    question: str
    answer_id: str | None
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    intent: Intent
    # Not answered here because the top article is bare: the second look decides it in the
    # background (knowledge_base/second_look.py), with the embeddings this path cannot afford.
    second_look: bool = False

    def choices(self, limit: int) -> tuple[str, ...]:
        """The articles to offer for the citizen to pick, best first, at most `limit`: none
        for what is not a question or barely recognised as one."""
        if self.intent is not Intent.QUESTION or self.confidence < CHOICES_CONFIDENCE:
            return ()
        return tuple(article_id for article_id, _ in self.candidates[:limit])


def feature_values(analysis: QueryAnalysis) -> dict[str, float]:
    """Every candidate feature of the top hit, by name (all 0 without hits):

    coverage: share of the question's idf mass found anywhere in the article; title: share found
    in its question, alternates or tags; margin: (top - runner-up score) / top score; normalised:
    score over the best possible for this question; phrasing: best idf-weighted Dice overlap with
    one phrasing; phrasing_margin: that overlap minus the runner-up's; unknown_share: share of the
    question's words the index does not know; corrected_share: share understood through typo
    correction; terms: log(1 + distinct known terms); single_term: 1 when only one is known;
    phrasing_cover: largest share of the question's idf mass inside one phrasing of the top hit;
    neighbour: 1 when the top two hits share a tag (neighbouring topics, often both acceptable);
    char_similarity: character 4-gram cosine of the question with the top hit's phrasings (a
    second ranker that shares no stems, synonyms or idf with the first); char_margin: that minus
    the best of the other hits' (positive when the second ranker agrees on the top hit);
    explained_terms: coverage * terms (a long question fully found in one article is strong
    evidence, a one-word question fully found is not); phrasing_recall: largest share of one
    phrasing's idf mass found in the question (low when the question swaps the subject);
    specific_missing: 1 when the question's most specific known word (highest idf) is not in the
    top hit's question, alternates or tags ("la mairie est fermee demain ?" against the school
    closures article: the frame matches, the subject does not); phrasings: log(1 + the top hit's
    number of phrasings): the learning loop gives busy articles dozens, and the more phrasings an
    article has, the likelier one of them is close to an unrelated question by chance, so the
    phrasing evidence is worth less; vote: of the five phrasings of the hits closest to the
    question, the share of their overlap that belongs to the top hit (a kNN vote: with many
    phrasings, several close ones agreeing is the evidence, one close one is not).
    """
    names = ("coverage", "title", "margin", "normalised", "phrasing", "phrasing_margin",
             "unknown_share", "corrected_share", "terms", "single_term", "phrasing_cover", "neighbour",
             "char_similarity", "char_margin", "explained_terms", "phrasing_recall", "specific_missing",
             "phrasings", "vote")
    if not analysis.hits or analysis.query_mass <= 0:
        return dict.fromkeys(names, 0.0)
    top = analysis.hits[0]
    second = analysis.hits[1] if len(analysis.hits) > 1 else None
    runner_up = second.score if second else 0.0
    words = max(analysis.known_terms + analysis.unknown_words, 1)
    return {
        "coverage": top.coverage,
        "title": top.title_coverage,
        "margin": (top.score - runner_up) / top.score if top.score > 0 else 0.0,
        # The best possible BM25 contribution of a word is idf * (K1 + 1); dividing by it
        # makes scores of short and long questions comparable.
        "normalised": min(top.score / ((K1 + 1.0) * analysis.query_mass), 2.0),
        "phrasing": top.phrasing_match,
        "phrasing_margin": top.phrasing_match - (second.phrasing_match if second else 0.0),
        "unknown_share": analysis.unknown_words / words,
        "corrected_share": analysis.corrected_words / words,
        "terms": math.log1p(analysis.known_terms),
        "single_term": 1.0 if analysis.known_terms == 1 else 0.0,
        "phrasing_cover": top.phrasing_cover,
        "neighbour": 1.0 if analysis.neighbour_tag else 0.0,
        "char_similarity": top.char_similarity,
        "char_margin": top.char_similarity - max((h.char_similarity for h in analysis.hits[1:]), default=0.0),
        "explained_terms": top.coverage * math.log1p(analysis.known_terms),
        "phrasing_recall": top.phrasing_recall,
        "specific_missing": top.specific_missing,
        "phrasings": math.log1p(top.phrasings),
        "vote": analysis.phrasing_vote,
    }


def second_look_decides(analysis: QueryAnalysis) -> bool:
    """Whether a question's answer is the second look's to decide: a hit on a known word (as
    this path requires to answer at all) whose top article is bare, its question its only
    phrasing (no alternate, no learned phrasing: a crisis's first hours)."""
    return analysis.known_terms > 0 and bool(analysis.hits) and analysis.hits[0].phrasings <= 1


def calibrated_confidence(analysis: QueryAnalysis) -> float:
    """Estimated probability that the top hit is the right answer, in [0, 1]."""
    if not analysis.hits or analysis.known_terms == 0:
        return 0.0  # no hit, or only the character fallback's candidates: nothing to be sure of
    model = LEARNED_MODEL if analysis.hits[0].phrasings >= LEARNED_PHRASINGS else COLD_MODEL
    return model.confidence(feature_values(analysis))


def auto_answer(
    index: SearchIndex, question: str, *, lang: str = "fr", threshold: float = DEFAULT_THRESHOLD,
    second_look: bool = False,
) -> AutoAnswer:
    """Answer `question` from `index` when confident enough; greetings, thanks and requests
    for a person never get an article. With `second_look` (the embeddings are on), a question
    whose top article is bare is not answered here but marked for the second look: measured
    by leaving one crisis out, it decides those better (docs/knowledge-base.md, "2026-12-03
    (3)" and "(6)"), and the fast path's model was never fitted on bare articles.

    Raises InvalidInput when the question is empty or longer than MAX_QUESTION_CHARS.
    """
    if not question.strip():
        raise InvalidInput("question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"question is longer than {MAX_QUESTION_CHARS} characters")
    intent = detect_intent(question)
    if intent is not Intent.QUESTION:
        return AutoAnswer(question, None, 0.0, (), intent)
    analysis = index.analyse(question, lang=lang, limit=CANDIDATES)
    confidence = calibrated_confidence(analysis)
    candidates = tuple((h.article_id, round(h.score, 4)) for h in analysis.hits)
    if second_look and second_look_decides(analysis):
        return AutoAnswer(question, None, round(confidence, 4), candidates, intent, second_look=True)
    answer_id = analysis.hits[0].article_id if analysis.hits and confidence >= threshold else None
    return AutoAnswer(question, answer_id, round(confidence, 4), candidates, intent)
