"""Renders one page of the site to text, with Jinja2 (autoescape on for HTML and XML)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from crisis.areas import DEPARTEMENTS
from crisis.local_time import local_time
from crisis.types import Crisis
from static_site.markup import plain_text, render_markdown
from static_site.messages import t
from static_site.model import SiteConfig, SiteData
from static_site.pages import Page, prefix, translation_of
from static_site.template_cache import template_cache



@functools.cache
def environment(timezone: str = "Europe/Paris") -> jinja2.Environment:
    """The site's templates, writing times in `timezone` (SiteConfig.timezone)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("static_site", "templates"),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        auto_reload=False, bytecode_cache=template_cache())
    # `when` is bound to the zone rather than reading it from the template's context: the
    # compiled templates are cached on disk, and a context filter compiles differently.
    env.filters.update(markdown=render_markdown, plain=plain_text,
                       when=functools.partial(when, timezone=timezone), iso=iso,
                       area_name=area_name)
    env.globals.update(t=t, prefix=prefix)
    return env


@functools.cache
def stylesheets() -> tuple[str, str, str]:
    """(critical CSS to inline, full stylesheet, its hashed file name under /assets/)."""
    folder = resources.files("static_site") / "assets"
    critical = (folder / "critical.css").read_text(encoding="utf-8")
    full = (folder / "site.css").read_text(encoding="utf-8")
    digest = hashlib.sha256(full.encode()).hexdigest()[:10]
    return critical, full, f"site-assets/site.{digest}.css"


@functools.cache
def scripts() -> tuple[str, str, bytes]:
    """(hashed path of the alerts block's script under site-assets/, its text, the service
    worker). The worker keeps a fixed name at the site's root: its scope is the whole site,
    and browsers check it for updates themselves (never cached more than 24 h)."""
    folder = resources.files("static_site") / "assets"
    alerts = (folder / "alerts.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(alerts.encode()).hexdigest()[:10]
    return f"site-assets/alerts.{digest}.js", alerts, (folder / "sw.js").read_bytes()


def templates_fingerprint() -> str:
    """Changes when any template or stylesheet changes: then a full rebuild is due."""
    digest = hashlib.sha256()
    folder = resources.files("static_site")
    for sub in ("templates", "templates/site", "assets"):
        for entry in sorted((folder / sub).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode() + entry.read_bytes())
    return digest.hexdigest()[:16]


def when(value: dt.datetime | None, lang: str, *, timezone: str = "Europe/Paris") -> str:
    """A page's date and time, in the site's time zone (CRISIS_TIMEZONE), through the one
    helper every page uses; English readers are told which time it is."""
    if value is None:
        return ""
    text = local_time(value, ZoneInfo(timezone), lang)
    if lang == "fr":
        return text
    return f"{text} ({timezone.rsplit('/', 1)[-1].replace('_', ' ')} time)"


def iso(value: dt.datetime | None) -> str:
    """ISO 8601 with a numeric offset (CAP 1.2 forbids 'Z')."""
    return (value or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc) \
        .replace(microsecond=0).isoformat()


def area_name(code: str) -> str:
    return f"{DEPARTEMENTS.get(code, code)} ({code})"


def render_page(page: Page, data: SiteData, config: SiteConfig) -> str:
    """The text of `page`; KeyError/TemplateError only on a bug (the caller reports it)."""
    if page.kind in _SPECIAL:
        return _SPECIAL[page.kind](page, data, config)
    context = _CONTEXT[page.kind](page, data) if page.kind in _CONTEXT else {}
    # The page's own context wins over the common one (a closed crisis's page sets `ended`).
    return environment(config.timezone).get_template(
        _TEMPLATE.get(page.kind, f"site/{page.kind}.html")).render(
        {**_common(page, data, config), **context})


def _common(page: Page, data: SiteData, config: SiteConfig) -> dict[str, Any]:
    critical, _, css = stylesheets()
    lang = page.lang
    return {"lang": lang, "config": config, "data": data, "page": page, "critical_css": critical,
            "css_url": f"/{css}", "alerts_js": scripts()[0], "alert_areas": "", "home": f"/{prefix(lang)}", "p": f"/{prefix(lang)}",
            "alternates": _alternates(page, data, config), "built_at": data.built_at,
            "level_name": functools.partial(level_name, data, lang=lang),
            "crisis_title": functools.partial(crisis_title, data, lang=lang),
            # Set (to the closing time) on the pages of a closed crisis and of an archived
            # publication: they get the "no longer in force" banner and are not indexed.
            "ended": None}


def _alternates(page: Page, data: SiteData, config: SiteConfig) -> dict[str, str]:
    """lang -> URL of the same page in that language, when it exists."""
    found = {}
    for lang in config.langs:
        if page.kind in ("publication", "easy"):
            other_lang, other_id = translation_of(page.key, page.lang)
            if lang == page.lang:
                found[lang] = "/" + page.path.removesuffix("index.html")
            elif lang == other_lang and other_id in data.publication_ids:
                tail = "facile/" if page.kind == "easy" else ""
                found[lang] = f"/{prefix(lang)}publications/{other_id}/{tail}"
        elif page.kind == "article":
            if (lang, page.key) in data.article_keys:
                found[lang] = f"/{prefix(lang)}articles/{page.key}/"
        elif page.kind == "topic":
            if (lang, page.key) in data.tags:
                found[lang] = f"/{prefix(lang)}themes/{page.key}/"
        else:
            path = page.path.removeprefix(prefix(page.lang)).removesuffix("index.html")
            found[lang] = f"/{prefix(lang)}{path}"
    return found


def level_name(data: SiteData, crisis: Crisis, *, lang: str) -> str:
    levels = data.scenarios[crisis.scenario_id].levels
    return next((lv.name.in_lang(lang) for lv in levels if lv.level == crisis.level), "")


def crisis_title(data: SiteData, crisis: Crisis, *, lang: str) -> str:
    """The cell's title in French; the scenario's title in another language."""
    return crisis.title if lang == "fr" else data.scenarios[crisis.scenario_id].title.in_lang(lang)


def _crisis_context(page: Page, data: SiteData) -> dict[str, Any]:
    crisis = data.crisis_by_id[page.key]
    scenario = data.scenarios[crisis.scenario_id]
    topics = [tag for tag in scenario.kb_tags if (page.lang, tag) in data.tags]
    ended = crisis.closed_at or crisis.updated_at if crisis.id in data.closed_ids else None
    return {"crisis": crisis, "scenario": scenario, "topics": topics, "ended": ended,
            "alert_areas": " ".join(crisis.areas),
            "publications": data.publications_of(crisis.id, page.lang)}


def _publication_context(page: Page, data: SiteData) -> dict[str, Any]:
    pub = data.publication_map[page.key]
    crisis = data.crisis_by_id.get(pub.crisis_id or "")
    return {"pub": pub, "crisis": crisis, "easy": page.kind == "easy",
            "ended": data.ended_at(pub)}


def _article_context(page: Page, data: SiteData) -> dict[str, Any]:
    return {"article": data.article_map[(page.lang, page.key)]}


def _area_context(page: Page, data: SiteData) -> dict[str, Any]:
    crises = data.areas[page.key]
    ids = {c.id for c in crises}
    pubs = [p for p in data.by_lang(page.lang) if p.crisis_id in ids or page.key in p.areas]
    return {"code": page.key, "crises": crises, "publications": pubs, "alert_areas": page.key}


def _topic_context(page: Page, data: SiteData) -> dict[str, Any]:
    return {"tag": page.key, "articles": data.tags[(page.lang, page.key)]}


def _topics_context(page: Page, data: SiteData) -> dict[str, Any]:
    return {"tags": sorted((tag, len(items)) for (lang, tag), items in data.tags.items()
                           if lang == page.lang)}


def _json_feed(page: Page, data: SiteData, config: SiteConfig) -> str:
    base = config.base_url
    items = [{"id": f"{base}/{prefix(p.lang)}publications/{p.id}/",
              "url": f"{base}/{prefix(p.lang)}publications/{p.id}/", "title": p.title,
              "content_text": plain_text(p.body, 4000), "date_published": iso(p.published_at),
              "date_modified": iso(p.updated_at), "language": p.lang,
              "tags": [p.priority.value, *p.areas]} for p in data.by_lang(page.lang)]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": t("service", page.lang),
            "home_page_url": f"{base}/{prefix(page.lang)}", "language": page.lang,
            "feed_url": f"{base}/{page.path}", "items": items}
    return json.dumps(feed, ensure_ascii=False, indent=1)


def _status(page: Page, data: SiteData, config: SiteConfig) -> str:
    crises = [{"id": c.id, "title": c.title, "scenario": c.scenario_id, "level": c.level,
               "state": c.state.value, "areas": list(c.areas), "updated_at": iso(c.updated_at)}
              for c in data.crises]
    return json.dumps({"crises": crises, "built_at": iso(data.built_at),
                       "version": config.version}, ensure_ascii=False, indent=1)


_CONTEXT: dict[str, Callable[[Page, SiteData], dict[str, Any]]] = {
    "crisis": _crisis_context, "lite_crisis": _crisis_context,
    "publication": _publication_context, "easy": _publication_context, "cap": _publication_context,
    "article": _article_context, "area": _area_context, "topic": _topic_context,
    "topics": _topics_context,
}
_TEMPLATE = {"lite_home": "site/lite_home.txt", "lite_crisis": "site/lite_crisis.txt",
             "atom": "site/atom.xml", "cap": "site/cap.xml", "cap_index": "site/cap_index.xml",
             "sitemap_index": "site/sitemap_index.xml", "sitemap_main": "site/sitemap_main.xml",
             "sitemap_articles": "site/sitemap_articles.xml", "robots": "site/robots.txt",
             "easy": "site/publication.html", "lite_index": "site/lite_index.html"}
_SPECIAL: dict[str, Callable[[Page, SiteData, SiteConfig], str]] = {
    "jsonfeed": _json_feed, "status": _status}
