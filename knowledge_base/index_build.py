"""Building one language's postings with numpy: each distinct token is normalised once, then
every occurrence is counted, weighted and grouped by array operations instead of Python loops."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.article import Article
from knowledge_base.scoring import concatenated_ranges
from knowledge_base.token_cache import TokenCache

IntArray = npt.NDArray[np.int64]
GENERATED_BIGRAMS = False
FloatArray = npt.NDArray[np.float64]

# Segment kinds: the answer is counted but is not a phrasing; tags count as a title field
# but are keywords, not a phrasing a citizen would restate; a phrasing generated from the
# answer is matched like a phrasing but is not a title field (its words are the answer's).
ANSWER, TAGS, PHRASING, GENERATED = 0, 1, 2, 3


@dataclasses.dataclass(frozen=True)
class BuiltPostings:
    """Term statistics of the articles, as flat arrays ordered by (term, doc)."""

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
    doc_written: IntArray  # per doc, its phrasings the cell wrote (question, alternates), not generated ones
    pair_keys: IntArray  # distinct bigram keys (a * n_terms + b), sorted
    pair_key_of_row: IntArray  # per distinct (bigram, doc): index into pair_keys, sorted
    pair_doc: IntArray


# Field of each segment (see token_cache) -> kind, and the field's weight name.
_KINDS = np.asarray([ANSWER, PHRASING, TAGS, PHRASING, GENERATED], dtype=np.int64)
_FIELDS = ("answer", "question", "tags", "alternates", "generated")


def _token_table(used: IntArray, tokens: list[str], token_terms: Callable[[str], tuple[int, ...]],
                 size: int) -> tuple[IntArray, IntArray, IntArray]:
    """(terms per token, start of each token's terms, all terms) for the tokens in `used`;
    tokens of articles not in this build get no terms and are never looked up."""
    counts = np.zeros(size, dtype=np.int64)
    per_token = [token_terms(tokens[n]) for n in used.tolist()]
    counts[used] = np.fromiter((len(t) for t in per_token), dtype=np.int64, count=len(per_token))
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    # `used` is ascending, so the terms of the used tokens in that order are the table itself.
    table = np.fromiter(itertools.chain.from_iterable(per_token), dtype=np.int64, count=int(starts[-1]))
    return counts, starts, table


def build_postings(articles: Sequence[Article], weights: Mapping[str, float], cache: TokenCache,
                   fold_words: Callable[[str], list[str]], short_tokens: Callable[[str], list[str]],
                   token_terms: Callable[[str], tuple[int, ...]], n_terms: Callable[[], int]) -> BuiltPostings:
    """Postings of `articles`; `token_terms` numbers a token's stems (growing the term table)."""
    with cache.lock:
        flats, seg_lengths, seg_fields = cache.article_tokens(articles, fold_words, short_tokens)
        tokens = cache.tokens
    n_docs = len(articles)
    flat = np.concatenate(flats) if flats else np.zeros(0, dtype=np.int64)
    lengths_per_segment = np.concatenate(seg_lengths) if seg_lengths else np.zeros(0, dtype=np.int64)
    segments_per_doc = np.fromiter((len(s) for s in seg_lengths), dtype=np.int64, count=n_docs)
    segment_doc = np.repeat(np.arange(n_docs, dtype=np.int64), segments_per_doc)
    field = np.concatenate(seg_fields) if seg_fields else np.zeros(0, dtype=np.int64)
    used = np.flatnonzero(np.bincount(flat, minlength=len(tokens)))
    counts, starts, table = _token_table(used, tokens, token_terms, len(tokens))

    segment_of_token = np.repeat(np.arange(len(segment_doc)), lengths_per_segment)
    # Expand each token occurrence into its terms (zero for a stop word, two for "robinet eau").
    n = counts[flat]
    term = table[concatenated_ranges(starts[flat], starts[flat] + n)]
    segment = np.repeat(segment_of_token, n)
    doc = segment_doc[segment]
    weight = np.asarray([weights[f] for f in _FIELDS], dtype=np.float64)[field][segment]
    kind = _KINDS[field][segment]
    total_terms = max(n_terms(), 1)

    # Rows sorted by (term, doc): the order of the postings, so no second sort is needed.
    key = term * max(n_docs, 1) + doc
    unique, inverse = np.unique(key, return_inverse=True)
    tf = np.bincount(inverse, weights=weight, minlength=len(unique)).astype(np.float64)
    title = np.bincount(inverse, weights=((kind != ANSWER) & (kind != GENERATED)).astype(np.float64),
                        minlength=len(unique)) > 0
    doc_lengths = np.bincount(doc, weights=weight, minlength=n_docs).astype(np.float64)
    phrasings = _phrasings(term, segment, kind, segment_doc, n_docs, total_terms)
    written = _written_phrasings(term, segment, kind, segment_doc, n_docs, total_terms)
    pair_keys, pair_key_of_row, pair_doc = _bigrams(term, segment, kind, doc, total_terms, n_docs)
    return BuiltPostings(unique % max(n_docs, 1), unique // max(n_docs, 1), tf, title, doc_lengths,
                         *phrasings, written, pair_keys, pair_key_of_row, pair_doc)


def _phrasings(term: IntArray, segment: IntArray, kind: IntArray, segment_doc: IntArray,
               n_docs: int, total_terms: int) -> tuple[IntArray, IntArray, IntArray]:
    """(terms, offsets, doc offsets) of the phrasings; segments come in doc order, so sorting
    by (segment, term) keeps each doc's phrasings together."""
    mask = (kind == PHRASING) | (kind == GENERATED)
    keys = np.unique(segment[mask] * total_terms + term[mask])
    # A phrasing made only of stop words has no term and so no entry: it could match nothing.
    segments, per_phrasing = np.unique(keys // total_terms, return_counts=True)
    offsets = np.zeros(len(segments) + 1, dtype=np.int64)
    np.cumsum(per_phrasing, out=offsets[1:])
    doc_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(segment_doc[segments], minlength=n_docs), out=doc_offsets[1:])
    return keys % total_terms, offsets, doc_offsets


def _written_phrasings(term: IntArray, segment: IntArray, kind: IntArray, segment_doc: IntArray,
                       n_docs: int, total_terms: int) -> IntArray:
    """Per doc, its written phrasings that have a term (as `_phrasings` counts them)."""
    segments = np.unique(segment[kind == PHRASING])
    return np.bincount(segment_doc[segments], minlength=n_docs).astype(np.int64)


def _bigrams(term: IntArray, segment: IntArray, kind: IntArray, doc: IntArray,
             total_terms: int, n_docs: int) -> tuple[IntArray, IntArray, IntArray]:
    mask = (kind == PHRASING) if not GENERATED_BIGRAMS else (kind == PHRASING) | (kind == GENERATED)
    terms, segs, docs = term[mask], segment[mask], doc[mask]
    adjacent = segs[:-1] == segs[1:]
    keys = (terms[:-1] * total_terms + terms[1:])[adjacent]
    pair_doc = docs[:-1][adjacent]
    # One int64 per (bigram, doc): a 1-D unique is many times faster than unique(axis=1).
    rows = np.unique(keys * max(n_docs, 1) + pair_doc)
    pair_keys, key_of_row = np.unique(rows // max(n_docs, 1), return_inverse=True)
    return pair_keys, key_of_row.astype(np.int64), rows % max(n_docs, 1)


@dataclasses.dataclass(frozen=True)
class ImpactPostings:
    """BM25 impact of every (term, doc), rows grouped by term."""

    idf: npt.NDArray[np.float32]
    docs: npt.NDArray[np.intp]
    impact: FloatArray
    title: npt.NDArray[np.bool_]
    offsets: list[int]  # term t's rows are offsets[t]:offsets[t + 1]


def bm25_postings(term: npt.ArrayLike, doc: npt.ArrayLike, tf: npt.ArrayLike, title: npt.ArrayLike,
                  lengths: npt.ArrayLike, n_terms: int, n_docs: int, k1: float, b: float) -> ImpactPostings:
    """Idf of each term and the impact of each (term, doc) row of `build_postings`' output."""
    term_a = np.asarray(term, dtype=np.int32)
    doc_a = np.asarray(doc, dtype=np.int32)
    tf_a = np.asarray(tf, dtype=np.float32)
    length = np.asarray(lengths, dtype=np.float32)
    df = np.bincount(term_a, minlength=n_terms).astype(np.float32)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = float(length.mean()) if n_docs else 1.0
    norm = k1 * (1.0 - b + b * length[doc_a] / max(avg, 1e-6))
    impact = idf[term_a] * tf_a * (k1 + 1.0) / (tf_a + norm)
    order = np.argsort(term_a, kind="stable")
    # intp and float64: the types numpy indexes and adds in, so a query converts no rows. The
    # impacts are rounded to float32 first, as they always were, so scores do not move.
    return ImpactPostings(idf, doc_a[order].astype(np.intp), impact[order].astype(np.float32).astype(np.float64),
                          np.asarray(title, dtype=np.bool_)[order], offsets_of(term_a, n_terms).tolist())


def offsets_of(keys: npt.NDArray[np.integer[Any]], count: int) -> npt.NDArray[np.int32]:
    """Start offsets (plus a final end) of each key's run in `keys` sorted by key."""
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys, minlength=count), out=offsets[1:])
    return offsets
