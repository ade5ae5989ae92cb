"""Fitting the re-ranker (`rerank.py`) and judging it by leaving one whole evaluation set out.

`python -m knowledge_base.rerank_fit` prints the out-of-fold ranking figures with and without it
and the constants to copy into `knowledge_base/rerank.py`, and rewrites `rerank_memory.jsonl`
(the labelled questions of the training sets). Then refit the confidence with
`python -m knowledge_base.calibration`, which calibrates on the out-of-fold re-ranked top hits.

Out of fold means, for a held-out set S: the memory holds the other sets' questions only, and
the weights are fitted on the other sets, each of those seeing a memory without itself and S
(a line never finds itself in the memory, as a new question never does).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import msgspec
import numpy as np

from knowledge_base.calibration import public_index, set_lines
from knowledge_base.hits import QueryAnalysis
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.rerank import (FEATURES, MEMORY_FILE, RERANK_L2, Candidates, FloatArray, Labelled, Memory,
                                   candidates, reranked, with_evidence)
from knowledge_base.search import SearchIndex

L2_VALUES = (0.3, 1.0, 3.0)
_MEMORY_COLUMNS = (FEATURES.index("memory"), FEATURES.index("memory_gap"))


@dataclass(frozen=True, slots=True)
class Example:
    """One evaluation line as the re-ranker sees it."""

    found: Candidates  # memory columns at 0
    remembered: FloatArray  # candidates x sets: best cosine with each set's labelled questions
    expected: str | None
    position: int | None  # of the expected article among the candidates
    question: bool  # the intent is a question (others never get an article)


def examples(index: SearchIndex) -> dict[str, list[Example]]:
    """Every training set's lines with their candidates and per-set memory similarities."""
    sets = set_lines()
    labelled = [[Labelled(i.q, i.expected, i.lang) for i in items if i.expected] for items in sets.values()]
    # Gram rarity is counted on all the labelled questions, as in the packaged memory: the
    # held-out set's wording counts in it, not its labels.
    everything = [item for group in labelled for item in group]
    memories = [Memory(group, everything) for group in labelled]
    result: dict[str, list[Example]] = {}
    for name, items in sets.items():
        result[name] = []
        for item in items:
            found = candidates(index, item.q, item.lang, None)
            # Whichever candidate a fold's weights put first, the confidence needs its evidence.
            found = with_evidence(index, item.q, item.lang, found, range(len(found.analysis.hits)))
            ids = [h.article_id for h in found.analysis.hits]
            remembered = np.asarray([m.best(item.q, item.lang, ids) for m in memories], dtype=np.float64).T
            result[name].append(Example(found, remembered.reshape(len(ids), len(memories)), item.expected,
                                        ids.index(item.expected) if item.expected in ids else None,
                                        detect_intent(item.q) is Intent.QUESTION))
    return result


def with_memory(example: Example, columns: Sequence[int]) -> FloatArray:
    """The example's features with a memory made of the sets numbered `columns`."""
    x = example.found.features.copy()
    if not len(x):
        return x
    best = example.remembered[:, list(columns)].max(axis=1) if columns else np.zeros(len(x))
    others = [max((float(best[j]) for j in range(len(best)) if j != i), default=0.0) for i in range(len(best))]
    x[:, _MEMORY_COLUMNS[0]] = best
    x[:, _MEMORY_COLUMNS[1]] = best - np.asarray(others)
    return x


def fit_softmax(groups: Sequence[tuple[FloatArray, int]], l2: float) -> tuple[float, ...]:
    """Weights maximising the log-likelihood of the right candidate within each group (a softmax
    over the group's scores) minus l2/2 * |w|^2, by Newton's method. No bias: it cancels out."""
    width = len(FEATURES)
    w = np.zeros(width)
    for _ in range(100):
        grad = l2 * w
        hessian = l2 * np.eye(width)
        for x, right in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mean = p @ x
            grad = grad - (x[right] - mean)
            hessian = hessian + (x * p[:, None]).T @ x - np.outer(mean, mean)
        step = np.linalg.solve(hessian, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return tuple(round(float(v), 3) for v in w)


def fit(sets: Mapping[str, Sequence[Example]], train: Sequence[str], l2: float) -> tuple[float, ...]:
    """Weights fitted on the sets `train`, each seeing a memory of the other sets of `train`.
    Only lines with the expected article among several candidates say anything about order."""
    names = list(sets)
    groups = []
    for name in train:
        columns = [names.index(t) for t in train if t != name]
        groups += [(with_memory(e, columns), e.position) for e in sets[name]
                   if e.position is not None and len(e.found.features) > 1]
    return fit_softmax([(x, p) for x, p in groups if p is not None], l2)


Reranked = tuple[QueryAnalysis, dict[str, float]]


def out_of_fold(sets: Mapping[str, Sequence[Example]], l2: float) -> dict[str, list[Reranked]]:
    """Each set's re-ranked analyses, by weights and a memory that never saw the set."""
    names = list(sets)
    result = {}
    for held in names:
        train = [t for t in names if t != held]
        weights = fit(sets, train, l2)
        columns = [names.index(t) for t in train]
        result[held] = [reranked(replace(e.found, features=with_memory(e, columns)), weights) for e in sets[held]]
    return result


def search_order(sets: Mapping[str, Sequence[Example]]) -> dict[str, list[Reranked]]:
    """The search's own order (no re-ranker), for comparison."""
    return {name: [(e.found.analysis, {}) for e in ex] for name, ex in sets.items()}


def ranking(examples_: Sequence[Example], analyses: Sequence[Reranked]) -> tuple[int, int, int]:
    """(answerable lines, right at 1, right in the top 3)."""
    pairs = [(e, a) for e, (a, _) in zip(examples_, analyses) if e.expected is not None]
    ids = [[h.article_id for h in a.hits] for _, a in pairs]
    return (len(pairs), sum(1 for (e, _), i in zip(pairs, ids) if i[:1] == [e.expected]),
            sum(1 for (e, _), i in zip(pairs, ids) if e.expected in i[:3]))


def memory_lines() -> list[bytes]:
    """The packaged memory: every answerable line of the training sets, in order."""
    return [msgspec.json.encode(Labelled(i.q, i.expected, i.lang)) for items in set_lines().values()
            for i in items if i.expected]


def main() -> None:
    index = public_index()
    sets = examples(index)
    base = search_order(sets)
    for l2 in L2_VALUES:
        oof = out_of_fold(sets, l2)
        cells, total = [], np.zeros(5, dtype=int)
        for name in sets:
            n, b1, b3 = ranking(sets[name], base[name])
            _, a1, a3 = ranking(sets[name], oof[name])
            cells.append(f"{name}: {b1}->{a1} / {b3}->{a3} of {n}")
            total += (n, b1, a1, b3, a3)
        print(f"l2={l2}: pooled p@1 {total[1]}->{total[2]}, r@3 {total[3]}->{total[4]} of {total[0]} | "
              + "  ".join(cells))
    weights = fit(sets, list(sets), RERANK_L2)
    MEMORY_FILE.write_bytes(b"\n".join(memory_lines()) + b"\n")
    print(f"RERANK_WEIGHTS = {weights!r}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
