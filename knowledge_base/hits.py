"""What a search returns: ranked hits and the evidence the auto-answer calibrates on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked article: its id and its relevance score (higher is better, not bounded)."""

    article_id: str
    score: float


@dataclass(frozen=True, slots=True)
class RankedHit:
    """A hit with the evidence the auto-answer calibrates on."""

    article_id: str
    score: float
    coverage: float  # share of the query's idf mass found anywhere in the article (top hit only)
    title_coverage: float  # share found in the question, alternates or tags (top hit only)
    phrasing_match: float  # best idf-weighted Dice overlap with the question or one alternate
    phrasing_cover: float = 0.0  # largest share of the query's idf mass inside one phrasing (top hit only)
    phrasing_recall: float = 0.0  # largest share of one phrasing's idf mass inside the query (top hit only)
    char_similarity: float = 0.0  # character 4-gram cosine with its phrasings (every hit, with evidence)
    # The query's most specific known term (highest idf) is absent from the article's question,
    # alternates and tags (top hit only): "la mairie est fermee demain" against the school article.
    specific_missing: float = 0.0
    phrasings: int = 0  # how many phrasings (question + alternates) the article has (top hit only)


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    """Ranked hits plus how much of the query the index understood."""

    hits: tuple[RankedHit, ...]
    query_mass: float  # sum of idf of the query's words (unknown words count at max idf)
    unknown_words: int
    known_terms: int = 0  # distinct known terms of the query
    corrected_words: int = 0  # query words understood only through typo correction
    neighbour_tag: bool = False  # the top two hits share a tag (close topics of one family)
    phrasing_vote: float = 0.0  # share of the five closest phrasings' overlap that is the top hit's
