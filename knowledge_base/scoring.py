"""Query-time scoring as array operations over the index's flat postings: one numpy call per step
instead of a Python loop per query word or per candidate phrasing (the search's hot path)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
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


# A term in at least this share of the docs also gets a dense row of impacts: adding a dense
# row costs a fifth of scattering as many postings, and common words (in most queries) are
# where the rows are. Bounded, so memory stays under DENSE_MAX_ROWS * docs * 8 bytes.
DENSE_SHARE = 0.125
DENSE_MAX_ROWS = 256


@dataclass(frozen=True, slots=True)
class TermImpacts:
    """Precomputed BM25 impacts of every (term, doc): postings by term, plus dense rows for the
    commonest terms. Docs are intp and impacts float64, the types numpy indexes and adds in,
    so a query converts nothing."""

    offsets: list[int]  # term t's postings are rows offsets[t]:offsets[t + 1]
    docs: npt.NDArray[np.intp]
    impact: Float64Array
    dense_row: dict[int, int]  # term -> its row in `dense`
    dense: Float64Array

    @classmethod
    def build(cls, offsets: list[int], docs: npt.NDArray[np.intp], impact: Float64Array, n_docs: int) -> TermImpacts:
        bounds: npt.NDArray[np.int64] = np.asarray(offsets, dtype=np.int64)
        df = bounds[1:] - bounds[:-1]
        common = np.flatnonzero(df >= max(DENSE_SHARE * n_docs, 1.0))
        common = common[np.argsort(-df[common], kind="stable")][:DENSE_MAX_ROWS].tolist()
        dense = np.zeros((len(common), n_docs), dtype=np.float64)
        for row, t in enumerate(common):
            dense[row, docs[offsets[t]:offsets[t + 1]]] = impact[offsets[t]:offsets[t + 1]]
        return cls(offsets, docs, impact, {t: row for row, t in enumerate(common)}, dense)

    def scores(self, terms: list[int], n_docs: int, bonus_docs: list[npt.NDArray[np.intp]],
               bonuses: list[float]) -> Float64Array:
        """Per doc, the sum of the impacts of `terms` (distinct term numbers), then each bonus
        added to its docs (`bonus_docs[i]` gets `bonuses[i]`).

        Every doc's sum is taken in the order of `terms`, then of the bonuses, whichever way
        a term is added (adding a 0 changes nothing), so the scores do not depend on which
        terms have dense rows.
        """
        first = self.dense_row.get(terms[0]) if terms else None
        # A copy of the first dense row is the same as adding it to zeros (impacts are >= 0).
        scores = np.zeros(n_docs, dtype=np.float64) if first is None else self.dense[first].copy()
        for t in terms[0 if first is None else 1:]:
            row = self.dense_row.get(t)
            if row is not None:
                np.add(scores, self.dense[row], out=scores)
            else:
                lo, hi = self.offsets[t], self.offsets[t + 1]
                # A term's postings name each doc once, so no doc is added to twice.
                np.add.at(scores, self.docs[lo:hi], self.impact[lo:hi])
        for docs, bonus in zip(bonus_docs, bonuses):
            np.add.at(scores, docs, bonus)
        return scores

    def add_scaled(self, scores: Float64Array, terms: list[int], factor: float) -> None:
        """Add `factor` times the impacts of `terms` (distinct, none already summed) to `scores`."""
        for t in terms:
            row = self.dense_row.get(t)
            if row is not None:
                scores += factor * self.dense[row]
            else:
                lo, hi = self.offsets[t], self.offsets[t + 1]
                np.add.at(scores, self.docs[lo:hi], factor * self.impact[lo:hi])


@dataclass(frozen=True, slots=True)
class PhrasingTable:
    """The distinct terms of every phrasing (question or alternate), grouped by doc.

    Phrasing p has terms[offsets[p]:offsets[p + 1]]; doc d has phrasings
    doc_offsets[d]:doc_offsets[d + 1], so its terms are one contiguous run too: entries
    doc_entry_start[d] onwards. The per-entry arrays let a query expand its candidates' entry
    ranges once and read everything else from them.
    """

    terms: IntArray
    offsets: IntArray
    doc_offsets: IntArray
    own_mass: Float64Array  # sum of idf of each phrasing's terms
    doc_entry_start: npt.NDArray[np.int64]  # doc d's entries are doc_entry_start[d] + range(doc_entry_count[d])
    doc_entry_count: npt.NDArray[np.int64]
    doc_phrasings: npt.NDArray[np.int64]  # phrasings per doc
    entry_first: npt.NDArray[np.bool_]  # the entry starts its phrasing
    entry_own_mass: Float64Array  # own mass of the entry's phrasing
    every_doc_phrased: bool  # no doc without a phrasing: the reductions need no empty-group care

    @classmethod
    def build(cls, terms: IntArray, offsets: IntArray, doc_offsets: IntArray, idf: FloatArray) -> PhrasingTable:
        lengths = np.diff(offsets)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        own = np.bincount(owner, weights=idf[terms], minlength=len(lengths)).astype(np.float64)
        first = np.zeros(len(terms), dtype=np.bool_)
        first[offsets[:-1][lengths > 0]] = True
        doc_bounds: npt.NDArray[np.int64] = np.asarray(doc_offsets, dtype=np.int64)
        entry_bounds = np.asarray(offsets, dtype=np.int64)[doc_bounds]
        per_doc = doc_bounds[1:] - doc_bounds[:-1]
        return cls(terms, offsets, doc_offsets, own, entry_bounds[:-1].copy(), entry_bounds[1:] - entry_bounds[:-1],
                   per_doc, first, own[owner], bool(per_doc.all()))

    def best_match(self, docs: npt.NDArray[np.int64], query_weight: Float64Array, query_mass: float) -> Float64Array:
        """Per doc of `docs`, the best idf-weighted Dice overlap 2|P & Q| / (|P| + |Q|) between
        the query and one of its phrasings; `query_weight` is the idf of each query term, 0 elsewhere."""
        if len(docs) == 0:
            return np.zeros(0, dtype=np.float64)
        if not self.every_doc_phrased:
            return self._best_match_general(docs, query_weight, query_mass)
        # Each doc's run of entries, concatenated: start - (run's place in the output) + i.
        starts, counts = self.doc_entry_start[docs], self.doc_entry_count[docs]
        # (Array methods rather than np.cumsum, np.repeat, np.flatnonzero: those wrappers
        # cost a microsecond each in Python, a tenth of this step.)
        ends = counts.cumsum()
        entries = (starts - (ends - counts)).repeat(counts) + np.arange(int(ends[-1]))
        firsts = self.entry_first[entries].nonzero()[0]
        common = np.add.reduceat(query_weight[self.terms[entries]], firsts)
        match = 2.0 * common / (self.entry_own_mass[entries[firsts]] + query_mass)
        per_doc = self.doc_phrasings[docs]
        result: Float64Array = np.maximum.reduceat(match, per_doc.cumsum() - per_doc)
        return result

    def _best_match_general(self, docs: npt.NDArray[np.int64], query_weight: Float64Array,
                            query_mass: float) -> Float64Array:
        """best_match when some docs have no phrasing (a question of stop words only)."""
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
        common = np.add.reduceat(query_weight[self.terms[entries]], phrasing_starts)
        match = 2.0 * common / (self.own_mass[phrasings] + query_mass)
        doc_starts = np.minimum(np.cumsum(per_doc) - per_doc, len(match) - 1)
        best = np.maximum.reduceat(match, doc_starts)
        best[per_doc == 0] = 0.0  # reduceat gives an empty group the next group's first value
        return best

    def shared_mass(self, doc: int, wanted: set[int], idf: list[float]) -> Shared:
        """Per phrasing of `doc`: the idf mass of its terms that are in `wanted`, and its own mass."""
        result = []
        for p in range(int(self.doc_offsets[doc]), int(self.doc_offsets[doc + 1])):
            terms = self.terms[int(self.offsets[p]):int(self.offsets[p + 1])].tolist()
            result.append((sum(idf[t] for t in terms if t in wanted), float(self.own_mass[p])))
        return result


# A phrasing as the evidence steps see it: (idf mass of its terms found in the query, its own mass),
# from PhrasingTable.shared_mass; computed once per hit and read by both functions below.
Shared = list[tuple[float, float]]


def cover_and_recall(shared: Shared) -> tuple[float, float]:
    """The largest idf mass of the query's terms found in one phrasing of a doc, and the
    largest share of one phrasing's own mass found in the query. The second sees a swapped
    subject ("la piscine est fermée demain" against "y a-t-il école demain"): the question
    keeps the phrasing's frame but not what it is about."""
    return (max((common for common, _ in shared), default=0.0),
            max((common / own for common, own in shared if own > 0), default=0.0))


def phrasing_vote(shared_by_doc: Sequence[Shared], query_mass: float, voters: int) -> float:
    """Among the `voters` phrasings of the docs closest to the query (idf-weighted Dice, as
    `best_match`), the share of their overlap that belongs to the first doc. An article with
    dozens of learned phrasings has one close to almost anything; several close ones
    agreeing is what a kNN vote over answered questions trusts."""
    if not shared_by_doc or query_mass <= 0:
        return 0.0
    scored = [(2.0 * common / (own + query_mass), rank)
              for rank, shared in enumerate(shared_by_doc) for common, own in shared]
    closest = heapq.nlargest(voters, scored)
    total = sum(score for score, _ in closest)
    return sum(score for score, rank in closest if rank == 0) / total if total > 0 else 0.0


def kth_largest(values: Float64Array, k: int) -> float:
    """The k-th largest of `values` (1 <= k <= len), exactly: the k-th smallest of their
    negatives. Selecting near the start of the array is twice as fast as near its end on
    these scores (half of them zeros, few distinct values)."""
    negated = -values
    negated.partition(k - 1)  # in place on our own copy: np.partition would copy it again
    return -float(negated[k - 1])


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
        # Every 8th doc on large indexes: the bound is looser (a few hundred docs pass it
        # instead of about a hundred) but half as costly to find; measured 30 against 41 us a
        # query on 10,000 articles (docs/knowledge-base.md, "Speed work, 2026-12-03").
        bound = kth_largest(scores[::8 if len(scores) > 64 * depth else 4], depth)
    # a bool mask: three times faster than on floats
    candidates = (scores >= bound).nonzero()[0] if bound > 0 else (scores > 0).nonzero()[0]
    if len(candidates) > depth:
        candidates = candidates[(-scores[candidates]).argpartition(depth - 1)[:depth]]
    return candidates.astype(np.int64, copy=False)
