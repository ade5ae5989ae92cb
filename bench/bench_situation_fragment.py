"""Benchmark: the situation view's figures fragment (`/cell/situation?fragment=1`, the part
every wall screen refetches), its views and template rendered in process on a filled watch:
5 channels, the knowledge base's split, 15 trends and 5 rumours with sparklines, 2 poll
questions (3 answers x 4 polls), 20 départements on the map.

Two measures, p50 and p99 over N renders:
- warm: the charts' data unchanged (each chart drawn once, then from its cache);
- cold: every chart's cache emptied before each render (all the data changed).
Also the fragment's size, raw and gzipped (what the page sends when the browser accepts it).

Usage: python bench/bench_situation_fragment.py [N]   (default 200 warm, N/10 cold)
"""

from __future__ import annotations

import gzip
import random
import statistics
import sys
import time
from typing import Any

from crisis.web import charts as core_charts
from monitoring import charts
from monitoring.situation_page import PAGES, chart_views

CODES = ["13", "33", "2A", "75", "974", "69", "59", "44", "06", "31", "67", "35", "34", "2B",
         "971", "92", "93", "94", "38", "76"]


def sections(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    def series() -> list[int]:
        return [rng.randint(0, 30) for _ in range(13)]

    polls = [{"question": f"Question {q} ?", "answers": [
        {"answer": answer, "points": [
            {"date": f"2026-11-{day:02d}", "institute": "Ifop", "method": "en ligne",
             "share_pct": float(rng.randint(20, 70)), "margin_pct": 3.1, "sample_size": 1000}
            for day in (3, 10, 17, 24)]} for answer in ("Oui", "Non", "NSP")]} for q in (1, 2)]
    watch = {"intake": {"received": 1000, "normalised": 990, "lag_s": 1.0, "length": 10},
             "trends": [{"kind": "keyword", "value": f"mot{i}", "count": 5, "baseline": 2.0,
                         "z": 1.0, "spike": i < 2, "series": series()} for i in range(15)],
             "spikes": [], "rumours": [{"id": f"r{i}", "claim": f"rumeur {i}", "variants": [],
                                        "count": 3, "baseline": 1.0, "rising": i == 0,
                                        "series": series(), "sources": {"rss": 2, "social": 1},
                                        "areas": {"44": 2}} for i in range(5)],
             "terms": {"trending": [], "warming_up": False}, "sentiment": [], "feeds": [],
             "latest": [], "polls": polls,
             "areas": [{"code": c, "name": c, "signals": rng.randint(1, 60)} for c in CODES]}
    contact = {"channels": {k: {"contacts": rng.randint(0, 99), "auto_answered": 3,
                                "abandoned": 1, "mean_first_reply_s": 30.0}
                            for k in ("sms", "voice", "chat", "telegram", "email")},
               "queue": {"length": 3, "oldest_wait_s": 40}, "estimated_wait_s": 20,
               "available_capacity": 4}
    kb = {"automatic_answers": 40, "operator_answers": 12, "automatic_share": 0.77,
          "unanswered_questions": 2, "pending_phrasings": 1, "top_articles": []}
    return contact, kb, watch


def main(n: int) -> None:
    contact, kb, watch = sections(random.Random(1))
    template = PAGES._env.get_template("situation_figures.html")

    def render() -> str:
        return template.render(crises=[], updated="17:00:00", updated_iso="2026-12-02T17:00:00",
                               alerts=None, pulses=None, cell=True, lang="fr", q="",
                               **chart_views(contact, kb, watch, "fr"))

    def clear() -> None:
        for cached in (core_charts.bars_svg, core_charts.split_svg, charts._spark_svg,
                       charts._poll_svg, charts._map_svg):
            cached.cache_clear()

    html = render().encode()
    print(f"fragment: {len(html):,} bytes, {len(gzip.compress(html, 6)):,} gzipped")
    for name, before, runs in (("warm", lambda: None, n), ("cold", clear, max(n // 10, 5))):
        times = []
        for _ in range(runs):
            before()
            started = time.perf_counter()
            render()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{name}: {runs} renders, p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
