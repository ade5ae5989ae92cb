"""Incremental publish of one publication with N articles present: from the new version
to the atomic switch, median and max of 20 runs, and the ratio to a full build.

    python bench/bench_site_publish.py [--articles 5000] [--runs 20]     goal: < 100 ms

The data snapshot is in memory (the knowledge-base store is not in Redis yet); what is
timed is everything the build job does after loading it: snapshot, graph, render, write
(.gz and .br twins), manifests, switch. Two figures: up to the atomic switch (the goal:
what readers wait for) and up to the return of the build, pruning of old builds included.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_site_build import bench_data  # noqa: E402
from crisis.types import utcnow  # noqa: E402
from static_site.builder import build_site_files  # noqa: E402
from static_site.model import SiteConfig, SiteData  # noqa: E402

log = logging.getLogger("bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dir", default="var/bench", help="where to build (a real disk)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = bench_data(args.articles)
    config = SiteConfig()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        site = Path(folder) / "site"
        started = time.perf_counter()
        build_site_files(data, config, site, full=True)
        full = time.perf_counter() - started
        times, totals, pages = [], [], []
        publications = list(data.publications)
        for run in range(args.runs):
            changed = msgspec.structs.replace(
                publications[0], version=publications[0].version + run + 1,
                body=f"Consigne mise à jour n° {run}.", updated_at=utcnow())
            publications[0] = changed
            started = time.perf_counter()
            snapshot = SiteData.clean(data.crises, publications, data.articles, utcnow())
            report = build_site_files(snapshot, config, site)
            totals.append(time.perf_counter() - started)
            times.append(report.switched_at - started)
            pages.append(report.pages)
            assert report.kind == "incremental" and f"n° {run}." in (site / "index.html").read_text()
    median, worst = statistics.median(times), max(times)
    log.info("articles: %d x 2 languages; full build %.2f s", args.articles, full)
    log.info("incremental publish of one publication, %d runs, event to atomic switch: "
             "median %.1f ms, max %.1f ms (%d pages re-rendered)",
             args.runs, median * 1000, worst * 1000, pages[0])
    log.info("same, up to the build's return (old builds pruned): median %.1f ms, max %.1f ms",
             statistics.median(totals) * 1000, max(totals) * 1000)
    log.info("ratio median incremental / full build: %.4f (goal: under 100 ms)", median / full)


if __name__ == "__main__":
    main()
