"""Query-time scoring as array operations over the index's flat postings: one numpy call per step
instead of a Python loop per query word or per candidate phrasing (the search's hot path)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.integer[Any]]
FloatArray = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]


def concatenated_ranges(starts: npt.NDArray[np.integer[Any]], ends: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.int64]:
    """Indexes of every [start, end) range, concatenated in order: gathers several posting
    lists (or several docs' phrasings) with one fancy index instead of a loop of slices."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shifts = starts.astype(np.int64) - (np.cumsum(lengths) - lengths)
    return np.repeat(shifts, lengths) + np.arange(total, dtype=np.int64)


def bm25_scores(terms: IntArray, offsets: IntArray, docs: IntArray, impact: FloatArray,
                n_docs: int) -> Float64Array:
    """Sum of the precomputed BM25 impacts of `terms` (distinct term numbers) for every doc."""
    # A query has a handful of terms: slicing each posting list is cheaper than building an
    # index of all their rows.
    bounds = [(int(offsets[t]), int(offsets[t + 1])) for t in terms.tolist()]
    if not bounds:
        return np.zeros(n_docs, dtype=np.float64)
    hit_docs = np.concatenate([docs[lo:hi] for lo, hi in bounds])
    weights = np.concatenate([impact[lo:hi] for lo, hi in bounds])
    return np.bincount(hit_docs, weights=weights, minlength=n_docs).astype(np.float64, copy=False)


@dataclass(frozen=True, slots=True)
class PhrasingTable:
    """The distinct terms of every phrasing (question or alternate), grouped by doc.

    Phrasing p has terms[offsets[p]:offsets[p + 1]]; doc d has phrasings
    doc_offsets[d]:doc_offsets[d + 1], so its terms are one contiguous run too.
    """

    terms: IntArray
    offsets: IntArray
    doc_offsets: IntArray
    own_mass: Float64Array  # sum of idf of each phrasing's terms

    @classmethod
    def build(cls, terms: IntArray, offsets: IntArray, doc_offsets: IntArray, idf: FloatArray) -> PhrasingTable:
        lengths = np.diff(offsets)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        own = np.bincount(owner, weights=idf[terms], minlength=len(lengths)).astype(np.float64)
        return cls(terms, offsets, doc_offsets, own)

    def best_match(self, docs: npt.NDArray[np.int64], query_weight: FloatArray, query_mass: float) -> Float64Array:
        """Per doc of `docs`, the best idf-weighted Dice overlap 2|P & Q| / (|P| + |Q|) between
        the query and one of its phrasings; `query_weight` is the idf of each query term, 0 elsewhere."""
        first, last = self.doc_offsets[docs], self.doc_offsets[docs + 1]
        per_doc = (last - first).astype(np.int64)
        best = np.zeros(len(docs), dtype=np.float64)
        if not per_doc.any():
            return best
        phrasings = concatenated_ranges(first, last)
        # A doc's phrasings are contiguous, and so are their terms: one range per doc.
        entries = concatenated_ranges(self.offsets[first], self.offsets[last])
        per_phrasing = self.offsets[phrasings + 1] - self.offsets[phrasings]
        phrasing_starts = np.cumsum(per_phrasing) - per_phrasing
        common = np.add.reduceat(query_weight[self.terms[entries]].astype(np.float64), phrasing_starts)
        common[per_phrasing == 0] = 0.0  # (never happens: a phrasing has at least one term)
        match = 2.0 * common / (self.own_mass[phrasings] + query_mass)
        doc_starts = np.minimum(np.cumsum(per_doc) - per_doc, len(match) - 1)
        best = np.maximum.reduceat(match, doc_starts)
        best[per_doc == 0] = 0.0  # reduceat gives an empty group the next group's first value
        return best


def top_candidates(scores: Float64Array, depth: int) -> npt.NDArray[np.int64]:
    """The (up to) `depth` docs with the highest positive scores, in no particular order.

    A strided sample's depth-th best score is a lower bound of the true one, so keeping only
    the docs at or above it never loses a top doc, and leaves a few hundred to select from.
    The bound is taken on the scores themselves, before any list of matching docs is built:
    a query with one common word matches nearly every doc, and listing them first was half
    the cost of this step.
    """
    bound = 0.0
    if len(scores) > 32 * depth:
        sample = scores[::4]
        bound = float(np.partition(sample, len(sample) - depth)[len(sample) - depth])
    # a bool mask: three times faster than on floats
    candidates = np.flatnonzero(scores >= bound) if bound > 0 else np.flatnonzero(scores > 0)
    if len(candidates) > depth:
        candidates = candidates[np.argpartition(-scores[candidates], depth - 1)[:depth]]
    return candidates.astype(np.int64)
