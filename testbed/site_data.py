"""Sample data of the site: a demo-like flood crisis with its scenario's instructions in two
languages and the starter articles, fixed in time (for the site's tests and benchmarks)."""

from __future__ import annotations

import datetime as dt

from crisis.scenarios import load_scenarios, starter_articles_text
from crisis.types import Crisis, CrisisState, Priority, Publication, PublicationStatus
from knowledge_base import Article, parse_article_lines
from static_site.model import SiteData

NOW = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.timezone.utc)
CRISIS_ID = "inondation-20261125-1"


def make_crisis(**changes: object) -> Crisis:
    values: dict[str, object] = dict(
        id=CRISIS_ID, scenario_id="inondation", title="Crue de la Seine en Île-de-France",
        level=2, areas=("75", "92"), state=CrisisState.ACTIVE, created_at=NOW, updated_at=NOW,
        created_by="test", activated_at=NOW)
    values.update(changes)
    return Crisis(**values)  # type: ignore[arg-type]


def make_publication(pub_id: str, lang: str = "fr", **changes: object) -> Publication:
    values: dict[str, object] = dict(
        id=pub_id, title=f"Titre {pub_id}", body="Montez **à l'étage**.\n\n- eau\n- lampe",
        lang=lang, priority=Priority.URGENT, status=PublicationStatus.PUBLISHED,
        crisis_id=CRISIS_ID, areas=("75",), drafted_by="t", drafted_at=NOW, published_at=NOW,
        updated_at=NOW)
    values.update(changes)
    return Publication(**values)  # type: ignore[arg-type]


def scenario_publications(crisis: Crisis) -> list[Publication]:
    scenario = load_scenarios()[crisis.scenario_id]
    pubs = []
    for i in scenario.instructions:
        for lang in ("fr", "en"):
            suffix = "" if lang == "fr" else "-en"
            pubs.append(make_publication(
                f"{crisis.id}-{i.slug}{suffix}", lang, title=i.title.in_lang(lang),
                body=getattr(i.body, lang), priority=i.priority,
                easy_read="Montez en haut. Appelez le 112 si danger." if i.priority == "urgent" else ""))
    return pubs


def starter_articles() -> list[Article]:
    return parse_article_lines(starter_articles_text("inondation").splitlines())


def demo_data(built_at: dt.datetime = NOW) -> SiteData:
    crisis = make_crisis()
    return SiteData.clean([crisis], scenario_publications(crisis), starter_articles(), built_at)
