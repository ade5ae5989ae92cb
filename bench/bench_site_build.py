"""Full site build, N articles x 2 languages: our build (render + write + gzip + brotli +
atomic switch) against rendering the same templates to memory in a bare Jinja2 loop.

    python bench/bench_site_build.py [--articles 5000]      goal: ratio <= 3
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crisis.types import utcnow  # noqa: E402
from knowledge_base.article import Article  # noqa: E402
from static_site.model import SiteData  # noqa: E402
from testbed.site_data import make_crisis, scenario_publications  # noqa: E402
from static_site.builder import build_site_files  # noqa: E402
from static_site.model import SiteConfig  # noqa: E402
from static_site.pages import site_pages  # noqa: E402
from static_site.render import render_page  # noqa: E402

log = logging.getLogger("bench")
TAGS = ("eau", "evacuation", "crue", "abri", "route", "electricite", "assurance", "ecole",
        "sante", "transport", "alimentation", "animaux", "logement", "travail", "aide")
ANSWER = ("Suivez les consignes des autorités. **Ne prenez pas la route** si elle est inondée.\n\n"
          "- Gardez une lampe et une radio à piles.\n- Coupez l'électricité si l'eau monte.\n"
          "- Appelez le 112 en cas de danger immédiat.\n\n"
          "Pour en savoir plus, consultez [le site de vigilance](https://vigicrues.gouv.fr). ") * 3



def articles(count: int) -> list[Article]:
    found = []
    for lang in ("fr", "en"):
        for i in range(count):
            found.append(Article(
                id=f"question-{i:05d}", lang=lang,
                question=f"Question fréquente numéro {i} sur la crue et ses conséquences ?",
                answer=f"Réponse {i}. {ANSWER}", tags=[TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]]))
    return found



def bench_data(count: int) -> SiteData:
    crisis = make_crisis()
    return SiteData.clean([crisis], scenario_publications(crisis), articles(count), utcnow())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--dir", default="var/bench", help="where to build (a real disk)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = bench_data(args.articles)
    config = SiteConfig()
    pages = list(site_pages(data, config))
    render_page(pages[0], data, config)  # warm the template cache for both sides
    started = time.perf_counter()
    for page in pages:
        render_page(page, data, config)
    bare = time.perf_counter() - started
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        started = time.perf_counter()
        report = build_site_files(data, config, Path(folder) / "site", full=True)
        ours = time.perf_counter() - started
    log.info("pages: %d (%d articles x 2 languages)", len(pages), args.articles)
    log.info("bare Jinja2 render to memory: %.2f s (%.0f pages/s)", bare, len(pages) / bare)
    log.info("full build (write + .gz + .br + switch): %.2f s (%.0f pages/s)",
             ours, report.total_pages / ours)
    log.info("ratio build / bare render: %.2f (goal <= 3)", ours / bare)


if __name__ == "__main__":
    main()
