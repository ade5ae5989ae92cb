"""The site's pages and the explicit dependency graph: which data each page is made from.

Every page names its inputs as nodes ("crisis:<id>", "publication:<id>",
"article:<lang>:<id>", "topic:<lang>:<tag>", "build", and "exists:publication:<id>" for a
page that only needs to know whether a publication is online). An incremental build
re-renders a page only when one of its nodes changed version, appeared or disappeared (see
`dirty_pages`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from static_site.model import SiteConfig, SiteData

# Directories that hold many pages, stored once and shared between builds. Together they are
# the knowledge section: every page there is made from articles only (and their topics).
SHARDED = ("articles", "themes")


class Page(NamedTuple):
    """One output file: where it goes, what renders it, which nodes it reads."""

    path: str
    kind: str
    lang: str
    key: str
    nodes: frozenset[str]


def prefix(lang: str) -> str:
    """URL prefix of a language: French at the root, the others under /<lang>/."""
    return "" if lang == "fr" else f"{lang}/"


def shard_dirs(config: SiteConfig) -> tuple[str, ...]:
    """Directories stored once and shared between builds by symlink, outer ones first.

    Each other language's root is one (a change to French pages only leaves the whole
    English tree as it was: one link instead of a copy of its directories), then the
    knowledge section's directories, which live inside the language roots.
    """
    roots = tuple(prefix(lang).rstrip("/") for lang in config.langs if prefix(lang))
    return (*roots, *(f"{prefix(lang)}{name}" for lang in config.langs for name in SHARDED))


def translation_of(publication_id: str, lang: str) -> tuple[str, str]:
    """(lang, id) of a publication's counterpart: 'x' (fr) <-> 'x-en' (en)."""
    if lang == "fr":
        return "en", f"{publication_id}-en"
    return "fr", publication_id.removesuffix(f"-{lang}")


def topic_versions(data: SiteData) -> dict[str, str]:
    return {f"topic:{lang}:{tag}": str(len(items)) for (lang, tag), items in data.tags.items()}


def core_versions(data: SiteData) -> dict[str, str]:
    """Versions of crises, publications, topics and the build: what core pages read."""
    return _core_versions_of(data)


@functools.lru_cache(maxsize=4)
def _core_versions_of(data: SiteData) -> dict[str, str]:
    return {**data.core_versions(), **topic_versions(data)}


def all_versions(data: SiteData) -> dict[str, str]:
    """Every node's version, articles included (thousands: the slow path)."""
    return {**core_versions(data), **data.article_versions()}


def site_pages(data: SiteData, config: SiteConfig) -> Iterator[Page]:
    """Every page of the site for this data, with its inputs."""
    yield from core_pages(data, config)
    yield from knowledge_pages(data, config)


def core_pages(data: SiteData, config: SiteConfig) -> Iterator[Page]:
    """The pages outside the knowledge section: none of them reads an article node."""
    crisis_nodes = frozenset(f"crisis:{c.id}" for c in data.crises)
    yield Page("robots.txt", "robots", "fr", "", frozenset())
    yield Page("404.html", "notfound", "fr", "", frozenset())
    yield Page("sitemap.xml", "sitemap_index", "fr", "", frozenset())
    yield Page("status.json", "status", "fr", "", crisis_nodes | {"build"})
    # The CAP index lists the all-clear messages of archived publications too: an aggregator
    # polling it must see that the alerts it shows have ended.
    yield Page("cap/index.xml", "cap_index", "fr", "",
               crisis_nodes | _pub_nodes(p.id for p in (*data.publications, *data.archived)))
    yield Page("sitemap-main.xml", "sitemap_main", "fr", "",
               frozenset(core_versions(data)) - {"build"})
    for pub in (*data.publications, *data.archived):
        yield Page(f"cap/{pub.id}.xml", "cap", pub.lang, pub.id, _pub_context(pub.id, pub.crisis_id))
    for lang in config.langs:
        yield from _language_pages(data, lang, crisis_nodes)


def knowledge_pages(data: SiteData, config: SiteConfig) -> Iterator[Page]:
    """The knowledge section (articles and topics, every language): the shard directories."""
    for lang in config.langs:
        yield from _knowledge_pages(data, lang)


def _language_pages(data: SiteData, lang: str, crisis_nodes: frozenset[str]) -> Iterator[Page]:
    p = prefix(lang)
    lang_pubs = data.by_lang(lang)
    home_nodes = crisis_nodes | _pub_nodes(x.id for x in lang_pubs)
    yield Page(f"{p}index.html", "home", lang, "", home_nodes)
    yield Page(f"{p}lite/index.txt", "lite_home", lang, "", home_nodes)
    yield Page(f"{p}lite/index.html", "lite_index", lang, "", crisis_nodes)
    yield Page(f"{p}feed.xml", "atom", lang, "", home_nodes)
    yield Page(f"{p}feed.json", "jsonfeed", lang, "", home_nodes)
    # A closed crisis keeps its pages (links shared during the crisis must not break),
    # with its archived publications and a banner saying they are no longer in force.
    for crisis in (*data.crises, *data.closed_crises):
        nodes = (frozenset({f"crisis:{crisis.id}"})
                 | _pub_nodes(x.id for x in data.publications_of(crisis.id, lang))
                 | _topic_nodes(lang, data.scenarios[crisis.scenario_id].kb_tags))
        yield Page(f"{p}crises/{crisis.id}/index.html", "crisis", lang, crisis.id, nodes)
        yield Page(f"{p}lite/crises/{crisis.id}.txt", "lite_crisis", lang, crisis.id, nodes)
    for pub in (*lang_pubs, *data.archived_in(lang)):
        # The language switcher needs only to know whether the translation is published: a
        # new version of the translation leaves this page as it is.
        nodes = _pub_context(pub.id, pub.crisis_id) | {
            f"exists:publication:{translation_of(pub.id, lang)[1]}"}
        yield Page(f"{p}publications/{pub.id}/index.html", "publication", lang, pub.id, nodes)
        if pub.easy_read.strip():
            yield Page(f"{p}publications/{pub.id}/facile/index.html", "easy", lang, pub.id, nodes)
    for code, crises in data.areas.items():
        ids = {c.id for c in crises}
        nodes = frozenset(f"crisis:{i}" for i in ids) | _pub_nodes(
            x.id for x in lang_pubs if x.crisis_id in ids or code in x.areas)
        yield Page(f"{p}departements/{code}/index.html", "area", lang, code, nodes)


def _knowledge_pages(data: SiteData, lang: str) -> Iterator[Page]:
    p = prefix(lang)
    articles = data.articles_in(lang)
    other = [x for x in ("fr", "en") if x != lang]
    all_nodes = frozenset(f"article:{lang}:{a.id}" for a in articles)
    yield Page(f"{p}articles/index.html", "articles", lang, "", all_nodes)
    yield Page(f"{p}articles/sitemap.xml", "sitemap_articles", lang, "", all_nodes)
    for article in articles:
        nodes = frozenset({f"article:{lang}:{article.id}"}
                          | {f"article:{o}:{article.id}" for o in other})
        yield Page(f"{p}articles/{article.id}/index.html", "article", lang, article.id, nodes)
    tags = sorted(tag for (tag_lang, tag) in data.tags if tag_lang == lang)
    yield Page(f"{p}themes/index.html", "topics", lang, "", _topic_nodes(lang, tags))
    for tag in tags:
        nodes = frozenset(f"article:{lang}:{a.id}" for a in data.tags[(lang, tag)])
        yield Page(f"{p}themes/{tag}/index.html", "topic", lang, tag,
                   nodes | {f"topic:{lang}:{tag}"})


def _pub_nodes(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(f"publication:{i}" for i in ids)


def _pub_context(pub_id: str, crisis_id: str | None) -> frozenset[str]:
    return frozenset({f"publication:{pub_id}"} | ({f"crisis:{crisis_id}"} if crisis_id else set()))


def _topic_nodes(lang: str, tags: Iterable[str]) -> frozenset[str]:
    return frozenset(f"topic:{lang}:{tag}" for tag in tags)


def changed_nodes(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """Nodes whose version differs, or that exist on one side only."""
    return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}


def dirty_pages(pages: Iterable[Page], previous: Mapping[str, Iterable[str]],
                changed: set[str]) -> tuple[list[Page], set[str]]:
    """(pages to render, paths to delete) given the previous build's page -> nodes map.

    A page is rendered when it is new or reads a changed node (in this build or the last:
    a page that listed a withdrawn publication must drop it); a path is deleted when no
    page of this build produces it any more.
    """
    render = []
    current = set()
    for page in pages:
        current.add(page.path)
        old = previous.get(page.path)
        if old is None or not page.nodes.isdisjoint(changed) or not changed.isdisjoint(old):
            render.append(page)
    return render, set(previous) - current
