"""How far the operators' fused list can go on bare articles with the signals the centre has.

Two levers measured on every crisis whose sets are tuning data (the fourteen below: the flood's
eleven sets as one crisis, the first storm, and the twelve judged sets of data/cold/, each
named, never globbed), articles bare as at crisis start, against the fused list as it ships
(knowledge_base.semantic: lexical share + SEMANTIC_WEIGHT x z-scored cosine of the mean of the
question, question + answer and answer passages):

1. Sentence passages: each sentence (or list item) of the answer embedded on its own, alone and
   after the article's question, and the article's cosine taken as the best sentence's, or
   averaged with the shipped passages; fusion weights 0.5 / 0.75 / 1.
2. A learnt re-ranker: a logistic model over the fused candidates (lexical top LEXICAL_DEPTH and
   e5 top SEMANTIC_DEPTH) with generic features only (lexical share and rank, z-scored cosine of
   each passage form, the best sentence's, the e5 rank, the gap to the closest article), fitted
   leaving one whole crisis out, four feature sets x two L2 values.

Figures and reading: docs/knowledge-base.md, "2026-12-03 (9)". Neither is in the product.

`python -m knowledge_base.tooling.ranking_ceiling`: 6-7 minutes of embedding the first time
(3,000 passages and sentences, 2,500 questions; cached in $TMPDIR, keyed by the data and the
engine's source), then 20 s.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.search import SearchIndex
from knowledge_base.semantic import LEXICAL_DEPTH, SEMANTIC_DEPTH, SEMANTIC_WEIGHT
from knowledge_base.tooling.calibration import fit_logistic
from knowledge_base.tooling.cold_confidence import CRISES, bare_public, cached_rows, cold_crisis
from knowledge_base.tooling.evaluation import parse_eval_lines

FloatArray = npt.NDArray[np.float64]

# The judged sets after the six of cold_confidence.CRISES, by name (data/cold/ README). The
# winter storm of data/cold/ is "tempete" there; "tempete" here is the first storm's set.
LATER_JUDGED = {"nucleaire": "nucleaire", "feux-foret": "feux-foret", "attentat": "attentat",
                "tempete-hiver": "tempete", "rupture-barrage": "rupture-barrage",
                "grand-froid": "grand-froid"}
ALL_CRISES: dict[str, tuple[Path, tuple[Path, ...]]] = {
    **CRISES, **{key: cold_crisis(name) for key, name in LATER_JUDGED.items()}}
WEIGHTS = (0.5, 0.75, 1.0)


def sentences(answer: str) -> list[str]:
    """The answer's sentences and list items, Markdown emphasis removed, 12 characters or more."""
    text = re.sub(r"\*\*|__|`", "", answer)
    out: list[str] = []
    for line in text.split("\n"):
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip()
        for part in re.split(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ý0-9\[])", line):
            if len(part.strip()) >= 12:
                out.append(part.strip())
    return out


@dataclass
class Line:
    crisis: str
    expected: str | None
    lexical: list[str]  # lexical top LEXICAL_DEPTH
    scores: list[float]
    ids: list[str]  # the crisis's articles, in the order of the cosines
    cos: dict[str, FloatArray]  # form -> the question's cosine to each article


def _best_per_article(values: FloatArray, owner: npt.NDArray[np.int64], n: int,
                      fallback: FloatArray) -> FloatArray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, owner, values)
    return np.where(np.isfinite(out), out, fallback)  # an answer too short for a sentence


def collect(e5: Any) -> list[Line]:
    lines: list[Line] = []
    for crisis, (articles_path, eval_paths) in ALL_CRISES.items():
        articles = bare_public(articles_path)
        index = SearchIndex(articles)
        passages = {form: np.asarray(e5.passage(texts), dtype=np.float64) for form, texts in (
            ("q", [a.question for a in articles]),
            ("q+a", [f"{a.question}\n{a.answer}" for a in articles]),
            ("a", [a.answer for a in articles]))}
        split = [sentences(a.answer) for a in articles]
        owner = np.asarray([i for i, parts in enumerate(split) for _ in parts], dtype=np.int64)
        alone = np.asarray(e5.passage([s for parts in split for s in parts]), dtype=np.float64)
        after_q = np.asarray(e5.passage([f"{a.question}\n{s}" for a, parts in zip(articles, split)
                                         for s in parts]), dtype=np.float64)
        for path in eval_paths:
            for item in parse_eval_lines(path.read_text(encoding="utf-8").splitlines()):
                hits = index.search(item.q, lang=item.lang, limit=LEXICAL_DEPTH)
                query = np.asarray(e5.query(item.q), dtype=np.float64)
                cos = {form: p @ query for form, p in passages.items()}
                cos["sent"] = _best_per_article(alone @ query, owner, len(articles), cos["a"])
                cos["q+sent"] = _best_per_article(after_q @ query, owner, len(articles), cos["q+a"])
                lines.append(Line(crisis, item.expected, [h.article_id for h in hits],
                                  [h.score for h in hits], [a.id for a in articles], cos))
    return lines


def cached_lines() -> list[Line]:
    h = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parent.parent.glob("*.py")):
        h.update(source.read_bytes())
    h.update(Path(__file__).read_bytes())
    for articles_path, eval_paths in ALL_CRISES.values():
        for p in (articles_path, *eval_paths):
            h.update(p.read_bytes())
    return cached_rows("kb-ranking-ceiling", h.hexdigest()[:16], Line, collect)


def _z(c: FloatArray) -> FloatArray:
    sd = float(c.std())
    return (c - float(c.mean())) / sd if sd > 0 else np.zeros_like(c)


def _mean3(c: dict[str, FloatArray]) -> FloatArray:
    return (c["q"] + c["q+a"] + c["a"]) / 3  # as shipped


FORMS: dict[str, Callable[[dict[str, FloatArray]], FloatArray]] = {
    "shipped (q, q+a, a)": _mean3,
    "+ best sentence": lambda c: (c["q"] + c["q+a"] + c["a"] + c["sent"]) / 4,
    "+ best question + sentence": lambda c: (c["q"] + c["q+a"] + c["a"] + c["q+sent"]) / 4,
    "+ both": lambda c: (c["q"] + c["q+a"] + c["a"] + c["sent"] + c["q+sent"]) / 5,
    "max(shipped, best sentence)": lambda c: np.maximum(_mean3(c), c["sent"]),
    "best sentence alone": lambda c: c["sent"],
    "best question + sentence alone": lambda c: c["q+sent"],
}


def fused_top3(line: Line, cos: FloatArray, weight: float) -> list[str]:
    """semantic.SemanticIndex.fused's ranking of `line` with the cosines `cos` (one language)."""
    z = _z(cos)
    position = {a: i for i, a in enumerate(line.ids)}
    best = line.scores[0] if line.scores and line.scores[0] > 0 else 1.0
    fused = {a: s / best + weight * float(z[position[a]]) for a, s in zip(line.lexical, line.scores)}
    for doc in np.argsort(-cos, kind="stable")[:SEMANTIC_DEPTH]:
        fused.setdefault(line.ids[int(doc)], weight * float(z[int(doc)]))
    return sorted(fused, key=lambda a: (-fused[a], a))[:3]


FEATURES = ("lexical share", "lexical 1/rank", "in lexical list", "z shipped", "z q", "z q+a",
            "z a", "z best sentence", "e5 1/rank", "share x z shipped", "gap to closest")
FEATURE_SETS = {"shipped's two": (0, 3), "all": tuple(range(len(FEATURES))),
                "all but sentences": (0, 1, 2, 3, 4, 5, 6, 8, 9, 10), "compact": (0, 1, 3, 8, 10)}


@dataclass(frozen=True)
class Candidates:
    crisis: str
    x: FloatArray  # candidates x FEATURES
    right: npt.NDArray[np.bool_]


def candidates(line: Line) -> Candidates:
    mean3 = _mean3(line.cos)
    z = {form: _z(line.cos[form]) for form in ("q", "q+a", "a", "sent")}
    zm = _z(mean3)
    e5_order = [int(d) for d in np.argsort(-mean3, kind="stable")]
    e5_rank = {line.ids[d]: r for r, d in enumerate(e5_order)}
    best = line.scores[0] if line.scores and line.scores[0] > 0 else 1.0
    lexical = {a: (r, s / best) for r, (a, s) in enumerate(zip(line.lexical, line.scores))}
    position = {a: i for i, a in enumerate(line.ids)}
    ids = sorted(set(line.lexical) | {line.ids[d] for d in e5_order[:SEMANTIC_DEPTH]})
    rows = []
    for a in ids:
        i = position[a]
        rank, share = lexical.get(a, (LEXICAL_DEPTH + 5, 0.0))
        rows.append([share, 1 / (1 + rank), float(a in lexical), zm[i], z["q"][i], z["q+a"][i],
                     z["a"][i], z["sent"][i], 1 / (1 + e5_rank[a]), share * zm[i],
                     mean3[i] - mean3.max()])
    return Candidates(line.crisis, np.asarray(rows), np.asarray([a == line.expected for a in ids]))


def learnt_top(train: Sequence[Candidates], test: Sequence[Candidates], columns: Sequence[int],
               l2: float) -> tuple[int, int]:
    """(right first, right within three) on `test` of a logistic re-ranker fitted on `train`."""
    cols = list(columns)
    x = np.vstack([c.x[:, cols] for c in train])
    y = np.concatenate([c.right for c in train]).astype(np.float64)
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    _bias, weights = fit_logistic((x - mean) / sd, y, l2)
    first = within = 0
    for c in test:
        order = np.argsort(-(((c.x[:, cols] - mean) / sd) @ np.asarray(weights)), kind="stable")[:3]
        first += bool(c.right[order[0]])
        within += bool(c.right[order].any())
    return first, within


def main() -> None:
    start = time.perf_counter()
    lines = [line for line in cached_lines() if line.expected is not None]
    crises = list(ALL_CRISES)
    print(f"{len(lines)} answerable lines of {len(crises)} crises, {time.perf_counter() - start:.0f} s")

    def report(label: str, first: dict[str, int], within: dict[str, int], base: dict[str, int]) -> None:
        n = {c: sum(line.crisis == c for line in lines) for c in crises}
        cold = crises[1:]  # every crisis but the flood, whose 1,000 lines weigh most in the pool
        better = sum(first[c] > base[c] for c in crises)
        worse = sum(first[c] < base[c] for c in crises)
        print(f"  {label:44} {sum(first.values()) / len(lines):.3f} / {sum(within.values()) / len(lines):.3f}"
              f"   {np.mean([first[c] / n[c] for c in cold]):.3f}   +{better} -{worse}")

    print("\n1. Sentence passages in the fused list: p@1 / r@3 pooled, mean p@1 of the 13 crises"
          " other than the flood, crises better / worse than shipped on p@1")
    tops = {(form, w): [fused_top3(line, combine(line.cos), w) for line in lines]
            for form, combine in FORMS.items() for w in WEIGHTS}

    def tally(top: list[list[str]]) -> tuple[dict[str, int], dict[str, int]]:
        first = dict.fromkeys(crises, 0)
        within = dict.fromkeys(crises, 0)
        for line, ranked in zip(lines, top):
            first[line.crisis] += ranked[:1] == [line.expected]
            within[line.crisis] += line.expected in ranked
        return first, within

    base, _ = tally(tops[("shipped (q, q+a, a)", SEMANTIC_WEIGHT)])
    for (form, w), top in tops.items():
        report(f"{form}, weight {w:g}" + (" (shipped)" if (form, w) == ("shipped (q, q+a, a)",
                                                                          SEMANTIC_WEIGHT) else ""),
               *tally(top), base)

    print("\n2. A learnt re-ranker, each crisis held out in turn (same columns)")
    table = [candidates(line) for line in lines]
    for name, columns in FEATURE_SETS.items():
        for l2 in (1.0, 10.0):
            first, within = dict.fromkeys(crises, 0), dict.fromkeys(crises, 0)
            for held in crises:
                first[held], within[held] = learnt_top([c for c in table if c.crisis != held],
                                                       [c for c in table if c.crisis == held],
                                                       columns, l2)
            report(f"{name}, L2 {l2:g}", first, within, base)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
