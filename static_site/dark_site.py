"""Dark sites: for every scenario, a complete build waits, made with a placeholder crisis.

At activation the real build starts from the scenario's dark build instead of from
scratch: everything that does not depend on the crisis (the knowledge-base shards, the
topics, the assets) is already rendered, so only the crisis's own pages are written and
the switch happens within a second. The placeholder pages disappear in that same build.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from crisis.scenarios import get_scenario, load_scenarios, starter_articles_text
from crisis.types import Crisis, CrisisState, Publication, PublicationStatus, utcnow
from knowledge_base import parse_article_lines
from static_site.builder import BuildReport, render_build
from static_site.model import SiteConfig, SiteData
from static_site.publish import prune, site_lock

log = logging.getLogger(__name__)


def dark_dir(site_dir: Path) -> Path:
    return site_dir.with_name(site_dir.name + ".dark")


def dark_build(site_dir: Path, scenario_id: str) -> Path | None:
    """The ready dark build of a scenario, if one was prepared."""
    path = dark_dir(site_dir) / scenario_id
    return path if (path / ".manifest.json").is_file() else None


def placeholder_data(scenario_id: str) -> SiteData:
    """The scenario as if active, with a placeholder crisis and its prepared instructions."""
    scenario = get_scenario(scenario_id)
    now = utcnow()
    crisis = Crisis(id=f"{scenario.id}-preparation", scenario_id=scenario.id,
                    title=scenario.title.fr, level=1, areas=(), state=CrisisState.ACTIVE,
                    created_at=now, updated_at=now, created_by="dark-site")
    publications = [
        Publication(id=f"{crisis.id}-{i.slug}{'' if lang == 'fr' else '-' + lang}"[:80].rstrip("-"),
                    title=i.title.in_lang(lang), body=getattr(i.body, lang), lang=lang,
                    priority=i.priority, status=PublicationStatus.PUBLISHED, crisis_id=crisis.id,
                    drafted_by="dark-site", drafted_at=now, published_at=now, updated_at=now)
        for i in scenario.instructions for lang in ("fr", "en") if getattr(i.body, lang)]
    articles = parse_article_lines(starter_articles_text(scenario.id).splitlines())
    return SiteData.clean([crisis], publications, articles, now)


def prepare_dark_sites(config: SiteConfig, site_dir: Path,
                       scenario_ids: list[str] | None = None) -> list[BuildReport]:
    """(Re)build the dark site of each scenario (all of them by default)."""
    reports = []
    for scenario_id in scenario_ids or sorted(load_scenarios()):
        target = dark_dir(site_dir) / scenario_id
        fresh = dark_dir(site_dir) / f"{scenario_id}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.parent.mkdir(parents=True, exist_ok=True)
        with site_lock(site_dir):
            report = render_build(placeholder_data(scenario_id), config, site_dir, fresh,
                                  base=None, full=True)
            shutil.rmtree(target, ignore_errors=True)
            fresh.rename(target)
            prune(site_dir)
        log.info("dark site ready", extra={"scenario": scenario_id, "pages": report.total_pages})
        reports.append(report)
    return reports
