"""The operators' fused list (lexical top ∪ e5 top), its setting chosen by leaving one whole crisis out.

The fusion shipped until this study (SHIPPED: lexical top 10 ∪ e5 top 10, lexical score / top
score + 1.0 × cosine rescaled per question between the median article and the closest one,
article passage = mean of the question's and the question + answer's) was tuned on the flood
sets only. Here every setting of a grid is scored on the eight crises of cold_confidence.py
(same data lists, same loaders: the flood's eleven sets as one crisis, the storm and the six
judged cold sets; nothing else of data/cold/ is read), and for each held-out crisis the setting
with the best pooled recall@3 + precision@1 on the seven others is scored on it. Figures and
decision: docs/knowledge-base.md, "2026-12-03 (4)".

The winner now ships (PRODUCT, knowledge_base.semantic), which `product_mismatches` checks.

`python -m knowledge_base.tooling.fusion_loco [-v]`: 6-9 minutes of embedding the first time
(question, question + answer and answer passages, and every question; cached in $TMPDIR under
cold_confidence's key, whose cache the check against it fills too), then about a minute of
scoring.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.hits import SearchHit
from knowledge_base.search import SearchIndex
from knowledge_base.semantic import LEXICAL_DEPTH, SEMANTIC_DEPTH, SEMANTIC_WEIGHT, Embedder, SemanticIndex
from knowledge_base.tooling import cold_confidence
from knowledge_base.tooling.cold_confidence import (CRISES, JUDGED_COLD, _cache_key, bare_public,
                                                     cached_questions, cached_rows)
from knowledge_base.tooling.evaluation import parse_eval_lines

FloatArray = npt.NDArray[np.float64]

LEXICAL_MAX = 20  # the deepest lexical list of the grid


@dataclass
class Line:
    crisis: str
    q: str
    expected: str | None
    lexical: list[str]  # lexical top LEXICAL_MAX
    scores: list[float]
    ids: list[str]  # the crisis's articles, in the order of the cosines
    cos: dict[str, FloatArray]  # passage "q", "q+a", "a" -> cosine of the question to each article


def collect(e5: Any) -> list[Line]:
    lines: list[Line] = []
    for crisis, (articles_path, eval_paths) in CRISES.items():
        articles = bare_public(articles_path)
        index = SearchIndex(articles)
        passages = {
            "q": np.asarray(e5.passage([a.question for a in articles]), dtype=np.float64),
            "q+a": np.asarray(e5.passage([f"{a.question}\n{a.answer}" for a in articles]), dtype=np.float64),
            "a": np.asarray(e5.passage([a.answer for a in articles]), dtype=np.float64),
        }
        for path in eval_paths:
            for item in parse_eval_lines(path.read_text(encoding="utf-8").splitlines()):
                hits = index.search(item.q, lang=item.lang, limit=LEXICAL_MAX)
                query = np.asarray(e5.query(item.q), dtype=np.float64)
                lines.append(Line(crisis, item.q, item.expected, [h.article_id for h in hits],
                                  [h.score for h in hits], [a.id for a in articles],
                                  {form: p @ query for form, p in passages.items()}))
    return lines


def cached_lines() -> list[Line]:
    """The lines, embedded once per engine source and data (cold_confidence's cache key)."""
    return cached_rows("kb-fusion-loco", _cache_key(True), Line, collect)


def check_against_cold_confidence(lines: Sequence[Line]) -> None:
    """The same lines, lexical lists and (mean-passage) cosines as cold_confidence's cache."""
    questions = cached_questions(True)
    assert [(q.crisis, q.q) for q in questions] == [(line.crisis, line.q) for line in lines]
    for q, line in zip(questions, lines):
        assert q.lexical == line.lexical[:cold_confidence.SEMANTIC_DEPTH], q.q
        assert q.cos is not None and np.allclose(q.cos, (line.cos["q"] + line.cos["q+a"]) / 2, atol=1e-4), q.q


# --- the grid ---------------------------------------------------------------------------------

FORMS: dict[str, Callable[[dict[str, FloatArray]], FloatArray]] = {
    "mean": lambda c: (c["q"] + c["q+a"]) / 2,  # shipped
    "max": lambda c: np.maximum(c["q"], c["q+a"]),
    "q+a": lambda c: c["q+a"],
    "q": lambda c: c["q"],
    "mean3": lambda c: (c["q"] + c["q+a"] + c["a"]) / 3,  # with an answer-only passage
    "max3": lambda c: np.maximum(np.maximum(c["q"], c["q+a"]), c["a"]),
}


def rescaled(c: FloatArray, how: str) -> FloatArray:
    if how == "median":  # shipped: median article 0, closest 1
        top, median = float(c.max()), float(np.median(c))
        return (c - median) / (top - median) if top > median else np.zeros_like(c)
    if how == "z":
        sd = float(c.std())
        return (c - float(c.mean())) / sd if sd > 0 else np.zeros_like(c)
    return c  # raw cosine


BETAS = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
RESCALINGS = ("median", "z", "raw")
E5_DEPTHS = (10, 20, 30)
LEXICAL_DEPTHS = (5, 10, 20)
RRF_K = (5.0, 20.0, 60.0)
RRF_W = (0.5, 1.0, 2.0)
SHIPPED = "weighted mean median beta=1 lex=10 e5=10"  # shipped until this study (2026-12-03)
PRODUCT = f"weighted mean3 z beta={SEMANTIC_WEIGHT:g} lex={LEXICAL_DEPTH} e5={SEMANTIC_DEPTH}"  # semantic.py now


def labels() -> list[str]:
    """Every setting, the shipped one first (ties in the choice keep it)."""
    out = [SHIPPED]
    for form, how, beta, lex, e5 in itertools.product(FORMS, RESCALINGS, BETAS, LEXICAL_DEPTHS, E5_DEPTHS):
        out.append(f"weighted {form} {how} beta={beta:g} lex={lex} e5={e5}")
    for form, k, w, lex, e5 in itertools.product(FORMS, RRF_K, RRF_W, LEXICAL_DEPTHS, E5_DEPTHS):
        out.append(f"rrf {form} k={k:g} w={w:g} lex={lex} e5={e5}")
    return list(dict.fromkeys(out))


def top3(candidates: list[str], score: FloatArray) -> list[list[str]]:
    """Per row of `score` (settings × candidates), its three best candidates (ties by id)."""
    order = np.argsort(-score, axis=1, kind="stable")[:, :3]
    return [[candidates[int(j)] for j in row] for row in order]


def rankings(line: Line) -> dict[str, list[str]]:
    """The top three of every setting for one line."""
    out: dict[str, list[str]] = {}
    pos = {a: i for i, a in enumerate(line.ids)}
    best = line.scores[0] if line.scores and line.scores[0] > 0 else 1.0
    for form, combine in FORMS.items():
        c = combine(line.cos)
        e5_order = [line.ids[int(i)] for i in np.argsort(-c, kind="stable")]
        scaled = {how: rescaled(c, how) for how in RESCALINGS}
        for lex, e5 in itertools.product(LEXICAL_DEPTHS, E5_DEPTHS):
            lexical = line.lexical[:lex]
            candidates = sorted(set(lexical) | set(e5_order[:e5]))  # sorted: ties go by id
            idx = np.asarray([pos[a] for a in candidates])
            lex_part = np.asarray([line.scores[lexical.index(a)] / best if a in lexical else 0.0
                                   for a in candidates])
            for how in RESCALINGS:
                score = lex_part[None, :] + np.asarray(BETAS)[:, None] * scaled[how][idx][None, :]
                for beta, ranked in zip(BETAS, top3(candidates, score)):
                    out[f"weighted {form} {how} beta={beta:g} lex={lex} e5={e5}"] = ranked
            e5_rank = {a: r for r, a in enumerate(e5_order[:e5])}
            lex_rank = {a: r for r, a in enumerate(lexical)}
            for k in RRF_K:
                lex_rr = np.asarray([1 / (k + lex_rank[a] + 1) if a in lex_rank else 0.0 for a in candidates])
                e5_rr = np.asarray([1 / (k + e5_rank[a] + 1) if a in e5_rank else 0.0 for a in candidates])
                score = lex_rr[None, :] + np.asarray(RRF_W)[:, None] * e5_rr[None, :]
                for w, ranked in zip(RRF_W, top3(candidates, score)):
                    out[f"rrf {form} k={k:g} w={w:g} lex={lex} e5={e5}"] = ranked
    return out


@dataclass(frozen=True)
class Hits:
    """Per setting (rows) and line (columns): the expected article first, within three, and
    whether the list is empty."""
    labels: list[str]
    top1: npt.NDArray[np.bool_]
    top3: npt.NDArray[np.bool_]
    empty: npt.NDArray[np.bool_]


def score_all(lines: Sequence[Line]) -> Hits:
    names = labels()
    row = {n: i for i, n in enumerate(names)}
    top1 = np.zeros((len(names), len(lines)), dtype=bool)
    top3_ = np.zeros_like(top1)
    empty = np.zeros_like(top1)
    for j, line in enumerate(lines):
        for label, ranked in rankings(line).items():
            i = row[label]
            top1[i, j] = ranked[:1] == [line.expected]
            top3_[i, j] = line.expected in ranked
            empty[i, j] = not ranked
    return Hits(names, top1, top3_, empty)


class _Cosines(Embedder):
    """Stands for the model: a "query embedding" that is the line's cosines themselves, so an
    index whose vectors are the identity gives SemanticIndex.fuse exactly those cosines."""

    def __init__(self, cos: FloatArray) -> None:
        super().__init__()
        self._cos = cos

    def query(self, text: str) -> Any:
        return self._cos


def product_mismatches(lines: Sequence[Line], hits: Hits) -> int:
    """Lines whose top three from knowledge_base.semantic differ from the grid's PRODUCT setting."""
    row = hits.labels.index(PRODUCT)
    wrong = 0
    for j, line in enumerate(lines):
        cos = FORMS["mean3"](line.cos)
        index = SemanticIndex(line.ids, np.eye(len(line.ids), dtype=np.float32), _Cosines(cos))
        lexical = [SearchHit(a, s) for a, s in zip(line.lexical[:LEXICAL_DEPTH], line.scores)]
        ranked = [h.article_id for h in index.fuse(line.q, lexical, 3)]
        wrong += (ranked[:1] == [line.expected]) != hits.top1[row, j] or (line.expected in ranked) != hits.top3[row, j]
    return wrong


# --- leaving one crisis out ---------------------------------------------------------------------

def figures(hits: Hits, setting: int, mask: npt.NDArray[np.bool_],
            answerable: npt.NDArray[np.bool_]) -> tuple[float, float, int]:
    """(p@1, r@3) over the answerable lines of `mask`, and the empty lists among all its lines."""
    a = mask & answerable
    n = max(int(a.sum()), 1)
    return (int(hits.top1[setting, a].sum()) / n, int(hits.top3[setting, a].sum()) / n,
            int(hits.empty[setting, mask].sum()))


def choose(hits: Hits, train: npt.NDArray[np.bool_]) -> int:
    """The setting with the best pooled r@3 + p@1 on `train` (the first, i.e. the shipped one, on
    a tie)."""
    merit = hits.top1[:, train].sum(axis=1) + hits.top3[:, train].sum(axis=1)
    return int(np.argmax(merit))


def main() -> None:
    verbose = "-v" in sys.argv
    start = time.perf_counter()
    lines = cached_lines()
    check_against_cold_confidence(lines)
    print(f"{len(lines)} lines, {time.perf_counter() - start:.1f} s")
    hits = score_all(lines)
    print(f"{len(hits.labels)} settings scored, {time.perf_counter() - start:.1f} s")
    crisis = np.asarray([line.crisis for line in lines])
    answerable = np.asarray([line.expected is not None for line in lines])
    shipped = hits.labels.index(SHIPPED)
    print(f"knowledge_base.semantic as it is now ({PRODUCT}): {product_mismatches(lines, hits)} lines "
          "scored otherwise than by the grid")
    chosen: dict[str, int] = {}
    print(f"\n{'held-out crisis':20} {'answerable':>10}  {'p@1 shipped -> chosen':>22}  "
          f"{'r@3 shipped -> chosen':>22}  empty  chosen on the seven others")
    top1_chosen = np.zeros(len(lines), dtype=bool)
    top3_chosen = np.zeros(len(lines), dtype=bool)
    for name in CRISES:
        held = crisis == name
        pick = chosen[name] = choose(hits, ~held)
        top1_chosen[held], top3_chosen[held] = hits.top1[pick, held], hits.top3[pick, held]
        p0, r0, _ = figures(hits, shipped, held, answerable)
        p1, r1, e1 = figures(hits, pick, held, answerable)
        print(f"{name:20} {int((held & answerable).sum()):10d}  {p0:9.3f} -> {p1:.3f}    "
              f"{r0:9.3f} -> {r1:.3f}    {e1:5d}  {hits.labels[pick]}")
    folds = Hits(["chosen per fold"], top1_chosen[None, :], top3_chosen[None, :],
                 np.zeros((1, len(lines)), dtype=bool))
    for group, members in (("pooled (8 crises)", list(CRISES)), ("pooled, six new types", list(JUDGED_COLD))):
        mask = np.isin(crisis, members)
        p0, r0, e0 = figures(hits, shipped, mask, answerable)
        p1, r1, _ = figures(folds, 0, mask, answerable)
        print(f"{group:20} {int((mask & answerable).sum()):10d}  {p0:9.3f} -> {p1:.3f}    "
              f"{r0:9.3f} -> {r1:.3f}    {e0:5d}")
    now = hits.labels.index(PRODUCT)
    print(f"\n{PRODUCT} (semantic.py now; chosen in some folds only), p@1 / r@3 / empty:")
    for name, members in [*((n, [n]) for n in CRISES), ("pooled (8 crises)", list(CRISES)),
                          ("pooled, six new types", list(JUDGED_COLD))]:
        p, r, e = figures(hits, now, np.isin(crisis, members), answerable)
        print(f"  {name:22} {p:.3f} / {r:.3f} / {e}")
    print("\nchosen (folds):")
    for pick, n in sorted(((p, list(chosen.values()).count(p)) for p in set(chosen.values())),
                          key=lambda x: -x[1]):
        print(f"  {n}  {hits.labels[pick]}")
    print("\nin-sample, one dimension of the shipped setting changed (not a choice; p@1 / r@3,"
          " all 8 crises | six new types):")
    every, new = np.ones(len(lines), dtype=bool), np.isin(crisis, list(JUDGED_COLD))
    variants = [SHIPPED, *(SHIPPED.replace("beta=1", f"beta={b:g}") for b in BETAS),
                *(SHIPPED.replace(" mean ", f" {f} ") for f in FORMS),
                *(SHIPPED.replace(" median ", f" {h} ") for h in RESCALINGS),
                *(SHIPPED.replace("e5=10", f"e5={d}") for d in E5_DEPTHS),
                *(SHIPPED.replace("lex=10", f"lex={d}") for d in LEXICAL_DEPTHS),
                *(f"rrf mean k={k:g} w=1 lex=10 e5=10" for k in RRF_K), PRODUCT]
    for label in dict.fromkeys(variants):
        i = hits.labels.index(label)
        pa, ra, _ = figures(hits, i, every, answerable)
        pn, rn, _ = figures(hits, i, new, answerable)
        print(f"  {label:52} {pa:.3f} / {ra:.3f} | {pn:.3f} / {rn:.3f}")
    if verbose:
        merit = hits.top1.sum(axis=1) + hits.top3.sum(axis=1)
        print("\nten best in-sample (all 8 crises; not a choice):")
        for i in np.argsort(-merit, kind="stable")[:10]:
            pa, ra, _ = figures(hits, int(i), every, answerable)
            print(f"  {hits.labels[int(i)]:52} {pa:.3f} / {ra:.3f}")
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
