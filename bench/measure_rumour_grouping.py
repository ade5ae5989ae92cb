"""Measure: the rumour grouping against the exact-variant matching on the labelled set
(tests/monitoring/data/rumour_paraphrases.json), precision and recall per threshold.

A text counts as a true positive when it is matched to its labelled claim, a false positive
for every claim it is matched to wrongly (an unrelated text matched to any claim included).

Usage: python bench/measure_rumour_grouping.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitoring.claim_grouping import NEAR_THRESHOLD, ClaimGrouping  # noqa: E402
from monitoring.text_terms import content_words, terms  # noqa: E402
from monitoring.watchlist import Watchlist, check_claim  # noqa: E402

LABELLED = Path(__file__).resolve().parent.parent / "tests/monitoring/data/rumour_paraphrases.json"


def precision_recall(watchlist: Watchlist, texts: list[dict[str, str | None]]) -> tuple[float, float]:
    tp = fp = positives = 0
    for item in texts:
        text = str(item["text"])
        found = watchlist.claims_in(terms(text), content_words(text))
        positives += item["claim"] is not None
        tp += item["claim"] in found
        fp += sum(1 for claim in found if claim != item["claim"])
    return (tp / (tp + fp) if tp + fp else 1.0), tp / positives


def main() -> None:
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    claims = [check_claim(c) for c in data["claims"]]
    texts = data["texts"]
    print(f"{len(texts)} texts, {sum(t['claim'] is not None for t in texts)} paraphrases")
    p, r = precision_recall(Watchlist.build((), claims, near=False), texts)
    print(f"exact variants only        precision {p:.2f}  recall {r:.2f}")
    for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9):
        grouping = ClaimGrouping.build(((c.id, (c.claim, *c.variants)) for c in claims), threshold)
        watchlist = Watchlist.build((), claims)
        watchlist = Watchlist(watchlist.keywords, watchlist.claims, grouping)
        p, r = precision_recall(watchlist, texts)
        mark = "  <- NEAR_THRESHOLD" if threshold == NEAR_THRESHOLD else ""
        print(f"grouping, threshold {threshold:.2f}  precision {p:.2f}  recall {r:.2f}{mark}")


if __name__ == "__main__":
    main()
