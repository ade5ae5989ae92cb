"""Building one language's postings with numpy: each distinct token is normalised once, then
every occurrence is counted, weighted and grouped by array operations instead of Python loops."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from knowledge_base.article import Article

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Segment kinds: the answer is counted but is not a phrasing; tags count as a title field
# but are keywords, not a phrasing a citizen would restate.
ANSWER, TAGS, PHRASING = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class BuiltPostings:
    """Term statistics of the articles, as flat arrays ordered by (doc, term)."""

    doc: IntArray  # one row per distinct (doc, term)
    term: IntArray
    tf: FloatArray  # field-weighted term frequency
    title: npt.NDArray[np.bool_]  # the term occurs in the question, an alternate or the tags
    lengths: FloatArray  # weighted length of each doc
    # Distinct terms of each phrasing (question or alternate), phrasings grouped by doc:
    # phrasing p is phrase_terms[phrase_offsets[p]:phrase_offsets[p + 1]], doc d owns
    # phrasings doc_phrase_offsets[d]:doc_phrase_offsets[d + 1].
    phrase_terms: IntArray
    phrase_offsets: IntArray
    doc_phrase_offsets: IntArray
    pair_keys: IntArray  # distinct bigram keys (a * n_terms + b), sorted
    pair_key_of_row: IntArray  # per distinct (bigram, doc): index into pair_keys, sorted
    pair_doc: IntArray


class _Segments:
    """Every text of every article, tokenised, with its doc, weight and kind."""

    def __init__(self) -> None:
        self.tokens: list[list[str]] = []
        self.doc: list[int] = []
        self.weight: list[float] = []
        self.kind: list[int] = []

    def add(self, tokens: list[str], doc: int, weight: float, kind: int) -> None:
        self.tokens.append(tokens)
        self.doc.append(doc)
        self.weight.append(weight)
        self.kind.append(kind)


def _segments(articles: Sequence[Article], weights: Mapping[str, float],
              fold_words: Callable[[str], list[str]], short_tokens: Callable[[str], list[str]]) -> _Segments:
    segments = _Segments()
    for doc, article in enumerate(articles):
        # Answers are long and written by the cell: no SMS pairs to undo, so fold only.
        segments.add(fold_words(article.answer), doc, weights["answer"], ANSWER)
        segments.add(short_tokens(article.question), doc, weights["question"], PHRASING)
        segments.add(short_tokens(" ".join(article.tags)), doc, weights["tags"], TAGS)
        for alternate in article.alternates:
            segments.add(short_tokens(alternate), doc, weights["alternates"], PHRASING)
    return segments


def build_postings(articles: Sequence[Article], weights: Mapping[str, float],
                   fold_words: Callable[[str], list[str]], short_tokens: Callable[[str], list[str]],
                   token_terms: Callable[[str], tuple[int, ...]], n_terms: Callable[[], int]) -> BuiltPostings:
    """Postings of `articles`; `token_terms` numbers a token's stems (growing the term table)."""
    segments = _segments(articles, weights, fold_words, short_tokens)
    vocabulary: dict[str, int] = {}
    for tokens in segments.tokens:
        for token in tokens:
            if token not in vocabulary:
                vocabulary[token] = len(vocabulary)
    per_token = [token_terms(token) for token in vocabulary]
    counts = np.fromiter((len(t) for t in per_token), dtype=np.int64, count=len(per_token))
    starts = np.zeros(len(per_token) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    table = np.fromiter(itertools.chain.from_iterable(per_token), dtype=np.int64, count=int(starts[-1]))

    lengths_per_segment = np.fromiter((len(t) for t in segments.tokens), dtype=np.int64,
                                      count=len(segments.tokens))
    flat = np.fromiter(map(vocabulary.__getitem__, itertools.chain.from_iterable(segments.tokens)),
                       dtype=np.int64, count=int(lengths_per_segment.sum()))
    segment_of_token = np.repeat(np.arange(len(segments.tokens)), lengths_per_segment)
    # Expand each token occurrence into its terms (zero for a stop word, two for "robinet eau").
    n = counts[flat]
    first = np.repeat(starts[flat], n)
    within = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    term = table[first + within]
    segment = np.repeat(segment_of_token, n)
    doc = np.asarray(segments.doc, dtype=np.int64)[segment]
    weight = np.asarray(segments.weight, dtype=np.float64)[segment]
    kind = np.asarray(segments.kind, dtype=np.int64)[segment]
    total_terms = max(n_terms(), 1)

    key = doc * total_terms + term
    unique, inverse = np.unique(key, return_inverse=True)
    tf = np.bincount(inverse, weights=weight, minlength=len(unique)).astype(np.float64)
    title = np.bincount(inverse, weights=(kind != ANSWER).astype(np.float64), minlength=len(unique)) > 0
    lengths = np.bincount(doc, weights=weight, minlength=len(articles)).astype(np.float64)
    phrasings = _phrasings(term, segment, kind, np.asarray(segments.doc, dtype=np.int64), len(articles),
                           total_terms)
    pair_keys, pair_key_of_row, pair_doc = _bigrams(term, segment, kind, doc, total_terms)
    return BuiltPostings(unique // total_terms, unique % total_terms, tf, title, lengths, *phrasings,
                         pair_keys, pair_key_of_row, pair_doc)


def _phrasings(term: IntArray, segment: IntArray, kind: IntArray, segment_doc: IntArray,
               n_docs: int, total_terms: int) -> tuple[IntArray, IntArray, IntArray]:
    """(terms, offsets, doc offsets) of the phrasings; segments come in doc order, so sorting
    by (segment, term) keeps each doc's phrasings together."""
    mask = kind == PHRASING
    keys = np.unique(segment[mask] * total_terms + term[mask])
    # A phrasing made only of stop words has no term and so no entry: it could match nothing.
    segments, per_phrasing = np.unique(keys // total_terms, return_counts=True)
    offsets = np.zeros(len(segments) + 1, dtype=np.int64)
    np.cumsum(per_phrasing, out=offsets[1:])
    doc_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(segment_doc[segments], minlength=n_docs), out=doc_offsets[1:])
    return keys % total_terms, offsets, doc_offsets


def _bigrams(term: IntArray, segment: IntArray, kind: IntArray, doc: IntArray,
             total_terms: int) -> tuple[IntArray, IntArray, IntArray]:
    mask = kind == PHRASING
    terms, segs, docs = term[mask], segment[mask], doc[mask]
    adjacent = segs[:-1] == segs[1:]
    keys = (terms[:-1] * total_terms + terms[1:])[adjacent]
    pair_doc = docs[:-1][adjacent]
    rows = np.unique(np.stack([keys, pair_doc]), axis=1) if len(keys) else np.zeros((2, 0), dtype=np.int64)
    pair_keys, key_of_row = np.unique(rows[0], return_inverse=True)
    return pair_keys, key_of_row.astype(np.int64), rows[1]
