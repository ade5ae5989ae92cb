"""The dependency graph: which pages an incremental build re-renders, and which it deletes."""

from __future__ import annotations

import msgspec

from static_site.model import SiteConfig, SiteData
from static_site.pages import all_versions, changed_nodes, dirty_pages, site_pages
from tests.static_site.conftest import CRISIS_ID, NOW, demo_data, make_crisis

CONFIG = SiteConfig()


def _plan(before: SiteData, after: SiteData) -> tuple[set[str], set[str]]:
    previous = {p.path: p.nodes for p in site_pages(before, CONFIG)}
    changed = changed_nodes(all_versions(before), all_versions(after)) - {"build"}
    render, delete = dirty_pages(site_pages(after, CONFIG), previous, changed)
    return {p.path for p in render}, delete


def _with_publications(data: SiteData, publications: list) -> SiteData:  # type: ignore[type-arg]
    return SiteData.clean(data.crises, publications, data.articles, data.built_at)


def test_nothing_changed_renders_nothing() -> None:
    assert _plan(demo_data(), demo_data()) == (set(), set())


def test_a_new_version_of_one_publication_renders_only_its_dependents() -> None:
    before = demo_data()
    pub = next(p for p in before.publications if p.id == f"{CRISIS_ID}-informez-vous")
    newer = msgspec.structs.replace(pub, version=2, body="Nouveau texte", updated_at=NOW.replace(hour=9))
    after = _with_publications(before, [newer if p.id == pub.id else p for p in before.publications])
    render, delete = _plan(before, after)
    assert render == {
        "index.html", "lite/index.txt", "feed.xml", "feed.json",          # French home and feeds
        f"crises/{CRISIS_ID}/index.html", f"lite/crises/{CRISIS_ID}.txt",  # its crisis
        f"publications/{pub.id}/index.html", f"cap/{pub.id}.xml",          # itself
        "departements/75/index.html", "departements/92/index.html",       # areas of its crisis
        "cap/index.xml", "sitemap-main.xml",
    }
    assert delete == set()
    assert not any("articles/" in path or path.startswith("en/") for path in render)  # the
    # translation's switcher only reads whether this publication is online


def test_withdrawing_a_publication_deletes_its_pages_and_updates_lists() -> None:
    before = demo_data()
    gone = f"{CRISIS_ID}-informez-vous"
    after = _with_publications(before, [p for p in before.publications if p.id != gone])
    render, delete = _plan(before, after)
    assert delete == {f"publications/{gone}/index.html", f"cap/{gone}.xml"}
    assert {"index.html", f"crises/{CRISIS_ID}/index.html", "cap/index.xml"} <= render
    assert f"en/publications/{gone}-en/index.html" in render  # its switcher loses the link


def test_an_article_change_renders_the_article_its_topics_and_lists_only() -> None:
    before = demo_data()
    article = before.articles_in("fr")[0]
    changed = msgspec.structs.replace(article, answer=article.answer + " Mise à jour.")
    after = SiteData.clean(before.crises, before.publications,
                           [changed if a is article else a for a in before.articles], NOW)
    render, _ = _plan(before, after)
    topics = {f"themes/{tag}/index.html" for tag in article.tags}
    assert render == {f"articles/{article.id}/index.html", "articles/index.html",
                      "articles/sitemap.xml"} | topics | (
        {f"en/articles/{article.id}/index.html"} if ("en", article.id) in after.article_map else set())


def test_a_level_change_renders_crisis_pages_in_every_language_but_no_article() -> None:
    before = demo_data()
    crisis = make_crisis(level=3, version=2)
    after = SiteData.clean([crisis], before.publications, before.articles, NOW)
    render, _ = _plan(before, after)
    assert {f"crises/{CRISIS_ID}/index.html", f"en/crises/{CRISIS_ID}/index.html", "index.html",
            "en/index.html", "status.json"} <= render
    assert not any("/articles/" in f"/{path}" for path in render)


def test_every_page_is_listed_once_with_its_inputs() -> None:
    pages = list(site_pages(demo_data(), CONFIG))
    paths = [p.path for p in pages]
    assert len(paths) == len(set(paths))
    assert {"index.html", "en/index.html", "404.html", "robots.txt", "sitemap.xml",
            "status.json", "lite/index.txt", "cap/index.xml"} <= set(paths)
    assert any(p.kind == "easy" for p in pages)
    assert all(p.nodes for p in pages if p.kind in ("home", "crisis", "publication", "article"))
