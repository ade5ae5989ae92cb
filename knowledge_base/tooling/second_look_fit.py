"""The second look's model (knowledge_base/second_look.py), fitted and measured on ten crises.

Ten crises with bare articles: the eight of cold_confidence.py and the two sets judged in
"2026-12-03 (5)" (nuclear release, forest fires), named one by one (a file added to data/cold/
later is a blind judging set and is never read). Each line is run through the product's own
code: the lexical analysis, `SemanticIndex.fused` on the articles' embeddings as a process
builds them, `second_look.embedding_features`. The nested rule is cold_confidence.py's
(`choose_and_fit`, `leave_one_crisis_out`): features and L2 chosen by an inner
leave-one-crisis-out, the threshold by the rule fixed in advance, then

- the out-of-fold figures: each held-out crisis scored by a model chosen and fitted on the nine
  others (docs/knowledge-base.md, "2026-12-03 (6)");
- the shipped model: chosen and fitted on all ten (SECOND_LOOK_MODEL, SECOND_LOOK_THRESHOLD).

The embeddings take 5-10 minutes of one core the first time (cached in $TMPDIR by the data and
the model); the features of every line are written to FEATURES (committed), from which
tests/knowledge_base/test_second_look.py refits in seconds.

`python -m knowledge_base.tooling.second_look_fit [--write | --committed]`: --write commits the
features it computed (FEATURES), --committed fits from them without embedding anything.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge_base.intents import Intent, detect_intent
from knowledge_base.search import SearchIndex
from knowledge_base.answer import DEFAULT_THRESHOLD, calibrated_confidence, second_look_decides
from knowledge_base.second_look import embedding_features
from knowledge_base.semantic import LEXICAL_DEPTH, MODEL, Embedder, SemanticIndex, article_texts, text_key
from knowledge_base.tooling.cold_confidence import (
    B_CANDIDATES, CRISES, Chosen, Data, Outcome, bare_public, choose_and_fit, cold_crisis,
    leave_one_crisis_out)
from knowledge_base.tooling.cold_start import DATA
from knowledge_base.tooling.evaluation import parse_eval_lines

# Judged once in "2026-12-03 (5)", tuning data since: named, never globbed.
JUDGED_LATER = ("nucleaire", "feux-foret")
TEN = {**CRISES, **{name: cold_crisis(name) for name in JUDGED_LATER}}
# `fused_first` is 1 on every line when the fused top hit is the answer: left out.
CANDIDATES = {label: tuple(f for f in names if f != "fused_first") for label, names in B_CANDIDATES.items()}
FEATURES = DATA / "second_look_features.json.gz"


@dataclass(frozen=True)
class Vectors:
    """One crisis's embeddings: each article text's passage and each question's query."""

    passages: dict[bytes, npt.NDArray[np.float32]]
    queries: list[npt.NDArray[np.float32]]


def _cache_path() -> Path:
    h = hashlib.sha256(MODEL.encode())
    for articles_path, eval_paths in TEN.values():
        for p in (articles_path, *eval_paths):
            h.update(p.read_bytes())
    return Path(tempfile.gettempdir()) / f"kb-second-look-{h.hexdigest()[:16]}.pkl"


def questions(crisis: str) -> list[tuple[str, str | None, str]]:
    """(question, expected article, language) of every line of the crisis's sets."""
    _, eval_paths = TEN[crisis]
    return [(item.q, item.expected, item.lang) for path in eval_paths
            for item in parse_eval_lines(path.read_text(encoding="utf-8").splitlines())]


def embeddings() -> dict[str, Vectors]:
    """Every crisis's embeddings, made with the product's Embedder (cached between runs)."""
    path = _cache_path()
    if path.exists():
        with path.open("rb") as f:
            cached: dict[str, Vectors] = pickle.load(f)
            return cached
    embedder = Embedder()
    out: dict[str, Vectors] = {}
    for crisis, (articles_path, _) in TEN.items():
        texts = article_texts(bare_public(articles_path))
        out[crisis] = Vectors({text_key(t): embedder.passage(t) for t in texts},
                              [embedder.query(q) for q, _, _ in questions(crisis)])
        print(f"  embedded {crisis}", file=sys.stderr)
    with path.open("wb") as f:
        pickle.dump(out, f)
    return out


@dataclass(frozen=True)
class Line:
    crisis: str
    answerable: bool
    has: bool  # the second look decides it (a question, a lexical hit, a bare top)
    correct: bool  # the fused top hit is the expected article
    features: dict[str, float]  # rounded to 6 decimals: as committed, so a refit is exact
    fast: float = 0.0  # the fast path's confidence as it ships (COLD_MODEL), for comparison
    fast_correct: bool = False  # the lexical top hit is the expected article


class _Stored(Embedder):
    """The product's Embedder with every passage already made: building an index embeds nothing."""

    def __init__(self, passages: dict[bytes, npt.NDArray[np.float32]]) -> None:
        super().__init__()
        for key, vector in passages.items():
            self.remember(key, vector)


def lines() -> list[Line]:
    """Every line's decision evidence, through the product's code."""
    vectors = embeddings()
    out: list[Line] = []
    for crisis, (articles_path, _) in TEN.items():
        articles = bare_public(articles_path)
        index = SearchIndex(articles)
        semantic = SemanticIndex.build(articles, _Stored(vectors[crisis].passages))
        assert semantic is not None
        for (q, expected, lang), query in zip(questions(crisis), vectors[crisis].queries):
            analysis = index.analyse(q, lang=lang, limit=3)
            ranking = semantic.fused(query, index.search(q, lang=lang, limit=LEXICAL_DEPTH), lang)
            question = detect_intent(q) is Intent.QUESTION
            has = question and second_look_decides(analysis) and ranking is not None and bool(ranking.ids)
            features = embedding_features(analysis, ranking) if has and ranking is not None else {}
            correct = has and ranking is not None and ranking.ids[0] == expected
            out.append(Line(crisis, expected is not None, has, correct,
                            {k: round(v, 6) for k, v in sorted(features.items())},
                            round(calibrated_confidence(analysis), 6) if question else 0.0,
                            bool(analysis.hits) and analysis.hits[0].article_id == expected))
    return out


def write_features(found: list[Line]) -> None:
    rows = [{"crisis": line.crisis, "answerable": line.answerable, "has": line.has,
             "correct": line.correct, "features": line.features, "fast": line.fast,
             "fast_correct": line.fast_correct} for line in found]
    with gzip.open(FEATURES, "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(r, sort_keys=True) for r in rows) + "\n")


def read_features() -> list[Line]:
    """The committed lines (FEATURES): what the shipped constants were fitted on."""
    with gzip.open(FEATURES, "rt", encoding="utf-8") as f:
        return [Line(r["crisis"], r["answerable"], r["has"], r["correct"], r["features"], r["fast"],
                     r["fast_correct"]) for r in map(json.loads, f) if r]


def as_data(found: list[Line]) -> Data:
    """cold_confidence's arrays of the lines (features 0 on the lines never decided)."""
    names = tuple(TEN)
    keys = sorted({k for line in found for k in line.features})
    return Data(np.asarray([names.index(line.crisis) for line in found]), names,
                np.asarray([line.has for line in found]), np.asarray([line.correct for line in found]),
                np.asarray([line.answerable for line in found]),
                {k: np.asarray([line.features.get(k, 0.0) for line in found]) for k in keys})


def shipped_fit(data: Data) -> Chosen:
    """The model to ship: chosen and fitted on all ten crises."""
    return choose_and_fit(data, list(range(len(data.names))), CANDIDATES)


def held_out(data: Data) -> Outcome:
    """Each crisis scored by a model chosen and fitted on the nine others."""
    return leave_one_crisis_out(data, CANDIDATES)


def fast_path(found: list[Line], data: Data) -> Outcome:
    """The fast path as it ships (COLD_MODEL at DEFAULT_THRESHOLD, lexical top hit) on the same
    lines: what the second look replaces on bare articles."""
    answered = np.asarray([line.fast >= DEFAULT_THRESHOLD for line in found])
    right = np.asarray([line.fast_correct for line in found])
    per = {}
    for i, name in enumerate(data.names):
        m = data.crisis == i
        per[name] = (int((m & answered & right).sum()), int((m & answered & ~right).sum()),
                     int((m & data.answerable).sum()), int(m.sum()))
    return Outcome(per, {})


def print_outcome(outcome: Outcome, fast: Outcome, names: tuple[str, ...]) -> None:
    print(f"{'held-out crisis':22}{'fast path (0.91)':>22}{'second look':>22}  chosen on the others")
    totals: dict[str, list[int]] = {}
    for name in names:
        cells = []
        for label, o in (("fast", fast), ("look", outcome)):
            r, w, a, n = o.per_crisis[name]
            cells.append(f"{r / a:6.1%} {w:3d} ({w / n:4.1%})")
            for group in ("pooled", *(() if name in ("inondation", "tempete") else ("pooled, 8 new types",))):
                key = f"{group}|{label}"
                totals[key] = [t + v for t, v in zip(totals.get(key, [0, 0, 0, 0]), (r, w, a, n))]
        m = outcome.chosen[name]
        print(f"{name:22}{cells[0]:>22}{cells[1]:>22}  {m.label} l2={m.l2:g} t={m.threshold:.2f}")
    for group in ("pooled", "pooled, 8 new types"):
        cells = []
        for label in ("fast", "look"):
            r, w, a, n = totals[f"{group}|{label}"]
            cells.append(f"{r / a:6.1%} {w:3d} ({w / n:4.1%})")
        print(f"{group:22}{cells[0]:>22}{cells[1]:>22}")


def main() -> None:
    start = time.perf_counter()
    found = read_features() if "--committed" in sys.argv else lines()
    if "--write" in sys.argv:
        write_features(found)
    data = as_data(found)
    print(f"{len(found)} lines, {int(data.has.sum())} decided by the second look, "
          f"{time.perf_counter() - start:.1f} s")
    print_outcome(held_out(data), fast_path(found, data), data.names)
    model = shipped_fit(data)
    print(f"\nshipped: {model.label} l2={model.l2:g} threshold {model.threshold:.2f}")
    print(f"SECOND_LOOK_MODEL = ConfidenceModel(\n    features={model.features!r},\n"
          f"    bias={model.bias!r},\n    weights={model.weights!r})\nSECOND_LOOK_THRESHOLD = {model.threshold!r}")
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
