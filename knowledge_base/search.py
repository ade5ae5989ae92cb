"""In-memory French-aware search over articles: weighted BM25 on stems, typo tolerance, phrase boosts."""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from knowledge_base.article import Article
from knowledge_base.char_similarity import CharSimilarity
from knowledge_base.english_to_french import to_french
from knowledge_base.hits import QueryAnalysis, RankedHit, SearchHit
from knowledge_base.index_build import bm25_postings, build_postings, offsets_of
from knowledge_base.scoring import (PhrasingTable, Shared, TermImpacts, cover_and_recall, phrasing_vote,
                                    top_candidates)
from knowledge_base.needs import EXPANSIONS, ROAD_EXPANSION, ROAD_NUMBER
from knowledge_base.synonyms import DEFAULT_SYNONYMS
from knowledge_base.text import (MAX_QUERY_WORDS, PLACE_MARKERS, ROAD_WORDS, SMS_SPELLINGS, STREET_WORDS, fold_words, pair_pattern,
                                 stem, stop_words, word_forms)
from knowledge_base.token_cache import token_cache
from knowledge_base.typos import FUZZY_MIN_LENGTH, TypoCorrector

# The question and the alternates are what citizens' questions look like; the answer is
# written in another register and is long, so its words count for less. Tags are the
# cell's own keywords for the topic.
FIELD_WEIGHTS: dict[str, float] = {"question": 3.0, "alternates": 2.0, "tags": 1.5, "answer": 0.6, "generated": 0.0}
# Standard BM25 constants; b is lowered because weighted length mixes field lengths.
K1 = 1.2
B = 0.5
# Two query words adjacent in the question or an alternate are much stronger evidence
# than the same words scattered in the answer; the bonus is this fraction of their idf.
PHRASE_WEIGHT = 0.6
# Re-ranking: the best Dice overlap (idf-weighted) between the query and one phrasing
# (the question or an alternate) multiplies the score by up to 1 + RERANK_WEIGHT, because
# a citizen's question usually restates one known phrasing rather than the whole article.
RERANK_WEIGHT = 1.0
RERANK_DEPTH = 30
# Phrasings that vote in `phrasing_vote` (the auto-answer's confidence): the five closest.
VOTERS = 5
_CACHE_MAX = 50_000
# A fallback candidate must share at least this much of its 4-grams with the question: above
# the noise of common endings (a single shared "ion " gives about 0.05).
FALLBACK_MIN_SIMILARITY = 0.05
# The fallback's cosines cost about 2 ms for 1,000 articles and 1.5-3.5 s for 10,000 (no
# cached profiles): above this it is not tried, and such a question may have no candidate.
# A crisis's base is a few hundred articles; a big one needs a 4-gram index first.
FALLBACK_MAX_ARTICLES = 1000

# Words a question's situation or specific words stand for (needs.py) count for this fraction of
# their impact: enough to choose between articles the question's own words leave close, not
# enough to outrank an article that shares the question's words.
EXPANSION_WEIGHT = 0.5
# ("a" is left out: "elle a 90 ans" is no motorway.)
_ROAD_LETTERS = frozenset(("d", "n", "rd", "rn"))

FloatArray = npt.NDArray[np.float32]


class _Ranking(NamedTuple):
    """A query's reading and ranked docs, before any hit object is made."""

    known: list[int]  # distinct known terms, ascending
    mass: float
    unknown: int
    corrected: int
    docs: list[int]  # best first
    scores: list[float]
    matches: list[float]  # best phrasing match of each doc


class _LanguageIndex:
    """The postings of one language's articles; built once, then only read."""

    def __init__(self, articles: Sequence[Article], lang: str, synonyms: Mapping[str, str]) -> None:
        self.lang = lang
        self.synonyms = dict(synonyms)
        self.pairs = pair_pattern(SMS_SPELLINGS if lang == "fr" else {}, self.synonyms)
        self.pair_heads = frozenset(key.split()[0] for table in (SMS_SPELLINGS if lang == "fr" else {},
                                                                 self.synonyms) for key in table if " " in key)
        self.ids = [a.id for a in articles]
        self.tags = [frozenset(a.tags) for a in articles]
        self.char_similarity = CharSimilarity([" ".join((a.question, *a.alternates)) for a in articles], lang)
        # The last resort for a question with no known word: the whole article's characters.
        self.fallback_similarity = CharSimilarity([" ".join((a.question, *a.alternates, a.answer))
                                                   for a in articles], lang)
        self._stop_words = stop_words(lang)
        self.terms: dict[str, int] = {}
        self._term_names: list[str] | None = None  # number -> stem, built on first use
        self.vocabulary: dict[str, str] = {}
        # Folded token -> term numbers: each distinct token is normalised and stemmed once.
        self._token_cache: dict[str, tuple[int, ...]] = {}
        built = build_postings(articles, FIELD_WEIGHTS, token_cache(lang, self.synonyms), fold_words, self._tokens,
                               lambda token: self._token_terms(token, build=True), lambda: len(self.terms))
        self._typos = TypoCorrector(self.vocabulary, lang)
        self._expansions = EXPANSIONS
        # First word of each phrase key -> the phrase lengths to try from it.
        heads: dict[str, set[int]] = {}
        for key in EXPANSIONS:
            words = key.split()
            if len(words) > 1:
                heads.setdefault(words[0], set()).add(len(words))
        self._expansion_heads = {head: tuple(sorted(sizes)) for head, sizes in heads.items()}
        # Each distinct expansion's terms in this index, once (values are shared by many keys).
        self._expansion_terms: dict[str, tuple[int, ...]] = {
            value: self._known_terms_of(value) for value in {*EXPANSIONS.values(), ROAD_EXPANSION}}
        self._build_postings(built.term, built.doc, built.tf, built.title, built.lengths)
        self.idf_list: list[float] = self.idf.tolist()
        self.written_phrasings: list[int] = built.doc_written.tolist()
        self.phrasings = PhrasingTable.build(built.phrase_terms, built.phrase_offsets,
                                             built.doc_phrase_offsets, self.idf)
        # A bigram (a, b) is the integer a * n_terms + b: one dict lookup per query pair.
        self.n_terms = max(len(self.terms), 1)
        self.bigrams: dict[int, int] = dict(zip(built.pair_keys.tolist(), range(len(built.pair_keys))))
        self.pair_docs = built.pair_doc.astype(np.intp)  # rows come sorted by (bigram, doc)
        # Offsets as lists: a query reads a few of them, and a list item is a Python int at once.
        self.pair_offsets: list[int] = offsets_of(built.pair_key_of_row, len(built.pair_keys)).tolist()

    def _tokens(self, text: str) -> list[str]:
        words = fold_words(text)
        # The two-word regex is slow to scan: run it only when a pair's first word is there.
        if self.pairs is None or self.pair_heads.isdisjoint(words):
            return words
        return self.pairs.sub(self._pair, " ".join(words)).split()

    def _pair(self, match: re.Match[str]) -> str:
        key = match.group(0)
        return SMS_SPELLINGS.get(key) or self.synonyms.get(key) or key

    def _token_terms(self, token: str, *, build: bool = False) -> tuple[int, ...]:
        """Term numbers of one folded token; at query time unknown stems are left out."""
        cached = self._token_cache.get(token)
        if cached is not None:
            return cached
        result = []
        for word in word_forms(token, self.lang, self.synonyms):
            s = stem(word, self.lang)
            if build:
                if len(word) >= FUZZY_MIN_LENGTH:
                    self.vocabulary.setdefault(word, s)
                result.append(self.terms.setdefault(s, len(self.terms)))
            elif s in self.terms:
                result.append(self.terms[s])
            else:
                return ()  # not cached: the caller tries typo correction on this token
        terms = tuple(result)
        if build or len(self._token_cache) < _CACHE_MAX:
            self._token_cache[token] = terms  # a dict store is atomic: safe for concurrent readers
        return terms

    def _build_postings(self, term: npt.ArrayLike, doc: npt.ArrayLike, tf: npt.ArrayLike,
                        title: npt.ArrayLike, lengths: npt.ArrayLike) -> None:
        postings = bm25_postings(term, doc, tf, title, lengths, len(self.terms), len(self.ids), K1, B)
        self.idf: FloatArray = postings.idf
        self.max_idf = float(self.idf.max()) if len(self.idf) else math.log1p(2.0)
        self.post_docs, self.post_impact, self.post_title = postings.docs, postings.impact, postings.title
        self.post_offsets: list[int] = postings.offsets
        self.impacts = TermImpacts.build(self.post_offsets, self.post_docs, self.post_impact, len(self.ids))

    def query_terms(self, query: str) -> tuple[list[int | None], int, int]:
        """Term numbers of the query's words in order (None for unknown), the unknown count and
        the number of words understood through typo correction.

        An unknown word right after a place marker ("a sommieres", "rue des lilas", "quartier
        st jean", "route de ales") is left out: citizens locate their message, and a place
        the articles do not name says nothing about which answer they need. The road word
        that starts such an address ("route", "rue"...) leaves with it.
        """
        result: list[int | None] = []
        corrected = 0
        place = street = False
        address: tuple[int, int] | None = None  # where the terms of a pending road word are
        for token in self._tokens(" ".join(fold_words(query)[: MAX_QUERY_WORDS * 2])):
            terms = self._token_terms(token)
            known = bool(terms)
            if token in ROAD_WORDS:
                address = (len(result), len(result) + len(terms)) if terms else None
            elif terms:
                address = None
            if terms:
                result.extend(terms)
            else:
                forms = word_forms(token, self.lang, self.synonyms)
                found = []
                for word in forms:
                    s = stem(word, self.lang)
                    # Place markers are real words, and a word after a street word is a name:
                    # neither is a typo of an article word.
                    fix = None if street or token in PLACE_MARKERS else self._typos.correct(word)
                    term = self.terms.get(s if s in self.terms else (fix or s))
                    corrected += s not in self.terms and fix is not None and term is not None
                    found.append(term)
                known = known or any(t is not None for t in found)
                if len(forms) > 1 and known:
                    # A synonym that keeps its word ("fils" -> "fils proche") says what the word
                    # means in the articles' words: the kept word is not a missing topic.
                    found = [t for t in found if t is not None]
                for term in found:
                    if term is not None or not place:
                        result.append(term)
                    elif address is not None:
                        # "route de nimes", "rue des lilas": the road word is part of an
                        # address, not the topic (it made "route" outrank the question).
                        del result[address[0]:address[1]]
                        address = None
            # A place name may run over several words ("saint jean du gard").
            street = token in STREET_WORDS or (street and not known and token not in PLACE_MARKERS)
            place = token in PLACE_MARKERS or (place and not known and token not in self._stop_words)
        result = result[:MAX_QUERY_WORDS]
        return result, sum(1 for t in result if t is None), corrected

    def _known_terms_of(self, value: str) -> tuple[int, ...]:
        """The index's terms for the words of `value`, read as article text is (synonyms, stems)."""
        terms = (self.terms.get(stem(form, self.lang)) for word in value.split()
                 for form in word_forms(word, self.lang, self.synonyms))
        return tuple(sorted({t for t in terms if t is not None}))

    def expansion_terms(self, query: str, known: list[int]) -> list[int]:
        """Terms of the needs and general words the query's words stand for (needs.py) that the
        index knows and the query does not already have, ascending."""
        words = " ".join(SMS_SPELLINGS.get(w, w) for w in fold_words(query)[: MAX_QUERY_WORDS * 2]).split()
        values: list[str] = []
        expansions, heads = self._expansions, self._expansion_heads
        for i, word in enumerate(words):
            value = expansions.get(word)
            if value is not None:
                values.append(value)
            elif ROAD_NUMBER.match(word) or (word in _ROAD_LETTERS and i + 1 < len(words)
                                             and words[i + 1].isdigit() and len(words[i + 1]) <= 4):
                values.append(ROAD_EXPANSION)
            for size in heads.get(word, ()):
                value = expansions.get(" ".join(words[i:i + size]))
                if value is not None:
                    values.append(value)
        if not values:
            return []
        have = set(known)
        found = {t for value in values for t in self._expansion_terms[value] if t not in have}
        return sorted(found)

    def rank(self, query: str, limit: int) -> _Ranking:
        """The query's reading and its best `limit` docs, without the hits' evidence."""
        sequence, unknown, corrected = self.query_terms(query)
        known = sorted({t for t in sequence if t is not None})
        mass = sum(self.idf_list[t] for t in known) + unknown * self.max_idf
        extra = self.expansion_terms(query, known) if EXPANSION_WEIGHT > 0 else []
        if not known and not extra:
            near, closeness = self._fallback(query, limit)
            return _Ranking(known, mass, unknown, corrected, near, closeness, [0.0] * len(near))
        pair_docs, pair_bonuses = self._adjacent_pairs(sequence)
        scores = self.impacts.scores(known, len(self.ids), pair_docs, pair_bonuses)
        if extra:
            self.impacts.add_scaled(scores, extra, EXPANSION_WEIGHT)
        candidates = top_candidates(scores, max(limit, RERANK_DEPTH))
        weight = np.zeros(self.n_terms, dtype=np.float64)
        for t in known:  # a few scalar stores cost less than building index arrays for them
            weight[t] = self.idf_list[t]
        # Expanded terms stay out of the phrasing re-rank (weighing them there measured no
        # better: docs/knowledge-base.md, 2026-12-02 (2)).
        match = self.phrasings.best_match(candidates, weight, mass)
        final = scores[candidates] * (1.0 + RERANK_WEIGHT * match)
        order = np.lexsort((candidates, -final))[:limit]
        # One conversion of each array to Python numbers instead of a numpy scalar per hit.
        return _Ranking(known, mass, unknown, corrected, candidates[order].tolist(), final[order].tolist(),
                        match[order].tolist())

    def _fallback(self, query: str, limit: int) -> tuple[list[int], list[float]]:
        """Candidates for a question none of whose words the index knows, not even as a typo
        (a word the synonyms replace by one no article uses, a rare inflection, slang): the
        articles closest by character 4-grams over their whole text. An operator still gets
        somewhere to start; the auto-answer never answers from these (no known word).
        Costs one cosine per article, paid only by such questions (up to
        FALLBACK_MAX_ARTICLES articles)."""
        if len(self.ids) > FALLBACK_MAX_ARTICLES:
            return [], []
        sims = self.char_similarity_all(query)
        order = sorted((i for i, v in enumerate(sims) if v > FALLBACK_MIN_SIMILARITY), key=lambda i: (-sims[i], i))
        docs = order[:limit]
        return docs, [sims[d] for d in docs]

    def char_similarity_all(self, query: str) -> list[float]:
        return self.fallback_similarity.similarities(query, range(len(self.ids)))

    def analyse(self, query: str, limit: int, evidence: bool) -> QueryAnalysis:
        ranking = self.rank(query, limit)
        known, mass, docs = ranking.known, ranking.mass, ranking.docs
        if not known:
            # Fallback candidates carry no evidence: the auto-answer gives them no confidence.
            hits = tuple(RankedHit(self.ids[d], score, 0.0, 0.0, 0.0) for d, score in zip(docs, ranking.scores))
            return QueryAnalysis(hits, mass, ranking.unknown, 0, ranking.corrected)
        # The second opinion is for the auto-answer's confidence only: plain searches skip it.
        chars = self.char_similarity.similarities(query, docs) if evidence else [0.0] * len(docs)
        # Each hit's phrasings against the query, once: the top hit's cover and recall and the
        # vote all read them.
        wanted = set(known)
        shared = [self.phrasings.shared_mass(doc, wanted, self.idf_list) for doc in docs] if evidence else []
        hits = tuple(self._ranked(doc, score, known, mass, match, shared[0] if evidence and rank == 0 else None, char)
                     for rank, (doc, score, match, char) in enumerate(zip(docs, ranking.scores, ranking.matches, chars)))
        neighbour = len(docs) >= 2 and not self.tags[docs[0]].isdisjoint(self.tags[docs[1]])
        vote = phrasing_vote(shared, mass, VOTERS) if evidence else 0.0
        return QueryAnalysis(hits, mass, ranking.unknown, len(known), ranking.corrected, neighbour, vote)

    def _adjacent_pairs(self, sequence: list[int | None]) -> tuple[list[npt.NDArray[np.intp]], list[float]]:
        """The docs of each pair of adjacent query terms found together in a phrasing, and
        the bonus each such pair gives (in query order, a repeated pair counting again)."""
        docs: list[npt.NDArray[np.intp]] = []
        bonuses: list[float] = []
        for a, b in zip(sequence, sequence[1:]):
            if a is None or b is None or a == b:
                continue
            key = self.bigrams.get(a * self.n_terms + b)
            if key is not None:
                docs.append(self.pair_docs[self.pair_offsets[key]:self.pair_offsets[key + 1]])
                bonuses.append(PHRASE_WEIGHT * (self.idf_list[a] + self.idf_list[b]) / 2)
        return docs, bonuses

    def specific_term(self, known: list[int]) -> int:
        """The query's most specific known term: the highest idf; on a tie the longer stem, then
        the first in alphabetical order. Not the term's number: numbers follow the order in which
        this process first met each token, so a tie broken on them made the feature (and the
        confidence) depend on what the process had indexed before."""
        if self._term_names is None:
            names = [""] * len(self.terms)
            for name, number in self.terms.items():
                names[number] = name
            self._term_names = names
        names = self._term_names
        return min(known, key=lambda t: (-self.idf_list[t], -len(names[t]), names[t]))

    def _ranked(self, doc: int, score: float, known: list[int], mass: float, match: float,
                shared: Shared | None, char: float) -> RankedHit:
        """The hit, with its evidence when `shared` (its phrasings against the query) is given."""
        found = in_title = 0.0
        if shared is None:
            return RankedHit(self.ids[doc], score, 0.0, 0.0, match, char_similarity=char)
        specific = self.specific_term(known)
        specific_titled = False
        for t in known:
            lo, hi = self.post_offsets[t], self.post_offsets[t + 1]
            pos = lo + int(np.searchsorted(self.post_docs[lo:hi], doc))
            if pos < hi and self.post_docs[pos] == doc:
                found += self.idf_list[t]
                in_title += self.idf_list[t] if self.post_title[pos] else 0.0
                specific_titled = specific_titled or (t == specific and bool(self.post_title[pos]))
        cover, recall = cover_and_recall(shared)
        phrasings = self.written_phrasings[doc]
        return RankedHit(self.ids[doc], score, found / mass, in_title / mass, match, cover / mass, recall, char,
                         0.0 if specific_titled else 1.0, phrasings)


class SearchIndex:
    """Immutable search index over exactly the articles given (filter status and audience first).

    Building copies the synonym table; rebuilding makes a new index, so readers in other
    threads keep a consistent view. Searching never raises on any string.
    """

    def __init__(self, articles: Sequence[Article], *, synonyms: Mapping[str, str] | None = None) -> None:
        table = DEFAULT_SYNONYMS if synonyms is None else synonyms
        by_lang: dict[str, list[Article]] = {}
        for article in articles:
            by_lang.setdefault(article.lang, []).append(article)
        # The build allocates millions of small objects that all stay alive: pausing the
        # cyclic collector avoids repeated full scans (a third of the rebuild time).
        paused = gc.isenabled()
        gc.disable()
        try:
            self._languages = {lang: _LanguageIndex(group, lang, table) for lang, group in by_lang.items()}
        finally:
            if paused:
                gc.enable()
        self._size = len(articles)

    def __len__(self) -> int:
        return self._size

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._languages)

    def _for_language(self, query: str, lang: str) -> tuple[_LanguageIndex | None, str]:
        """The index that answers `lang`, and the query to give it: an English question when
        the cell wrote no English article goes to the French articles, translated word by word
        (knowledge_base/english_to_french.py); the answer then says it is in French."""
        index = self._languages.get(lang)
        if index is None and lang == "en" and "fr" in self._languages:
            return self._languages["fr"], to_french(query)
        return index, query

    def analyse(self, query: str, *, lang: str = "fr", limit: int = 5, evidence: bool = True) -> QueryAnalysis:
        """Ranked hits, the top one with coverage evidence and every one with its character
        similarity when `evidence` (zeros otherwise); no hits for an unknown language or a query
        with no known word. An English query with no English article is searched in French
        (`_for_language`)."""
        index, query = self._for_language(query, lang)
        if index is None or limit <= 0:
            return QueryAnalysis((), 0.0, 0)
        return index.analyse(query, limit, evidence)

    def search(self, query: str, *, lang: str = "fr", limit: int = 5) -> list[SearchHit]:
        """Up to `limit` articles of language `lang`, best first (French ones for an English
        query when there is no English article)."""
        index, query = self._for_language(query, lang)
        if index is None or limit <= 0:
            return []
        # A plain search needs no evidence: no RankedHit is built, only the ids and scores.
        ranking = index.rank(query, limit)
        return [SearchHit(index.ids[doc], score) for doc, score in zip(ranking.docs, ranking.scores)]
