"""Markdown bodies reach citizens as formatted text: in Chromium, the visible text of every page
type that shows one has no HTML tag in it, and bold, lists and links are real elements; hostile
input never becomes markup. Feeds and CAP carry the same text as their formats require."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from playwright.async_api import async_playwright

from crisis.types import Priority
from static_site.builder import build_site_files
from static_site.model import SiteConfig, SiteData
from tests.static_site.conftest import (
    CRISIS_ID, NOW, demo_data, make_publication, serve_built_site,
)
from tests.support.browser import launch_chromium

PREFECTURE = "https://www.prefecturedepolice.interieur.gouv.fr/"
BODY = (f"Des **bouteilles d'eau** sont distribuées :\n\n- mairie du 15e ;\n- gymnase Jean-Bouin.\n\n"
        f"Plus d'informations sur [le site de la préfecture]({PREFECTURE}).")
EASY = "**Eau** : allez à la mairie.\n\n- Prenez un sac.\n- Prenez vos papiers."
HOSTILE = ("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> "
           "[piège](javascript:alert(1)) <a href=x onclick=alert(1)>clic</a>")
ATOM = "{http://www.w3.org/2005/Atom}"
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


def markdown_data() -> SiteData:
    base = demo_data()
    water = make_publication("distribution-eau", title="Distribution d'eau", body=BODY,
                             easy_read=EASY, priority=Priority.HIGH)
    # General information (no crisis), so that the crisis page holds only well-formed texts.
    hostile = make_publication("texte-hostile", title="Texte hostile", body=HOSTILE,
                               easy_read=HOSTILE, priority=Priority.NORMAL, crisis_id=None)
    return SiteData.clean(base.crises, [*base.publications, water, hostile], base.articles, NOW)


@pytest.fixture
def markdown_site(config: SiteConfig, site_dir: Path) -> Path:
    build_site_files(markdown_data(), config, site_dir)
    return site_dir


async def _visible(page: Any, url: str) -> str:
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    text: str = await page.inner_text("main")
    for tag in ("<p>", "</p>", "<strong>", "<li>", "<ul>", "<a href", "&lt;", "&amp;", "&#39;"):
        assert tag not in text, (url, tag, text[:400])
    return text


async def _elements(page: Any, selector: str) -> list[str]:
    texts: list[str] = await page.locator(selector).all_inner_texts()
    return [t.strip() for t in texts]


async def test_every_markdown_page_shows_formatted_text_in_chromium(
        aiohttp_server: Any, markdown_site: Path) -> None:
    base = await serve_built_site(aiohttp_server, markdown_site)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await browser.new_page()
        # A publication: bold, a list and a link are elements; the text reads as written.
        text = await _visible(page, f"{base}/publications/distribution-eau/")
        assert "Des bouteilles d'eau sont distribuées" in text
        assert await _elements(page, "article strong") == ["bouteilles d'eau"]
        assert await _elements(page, "article li") == ["mairie du 15e ;", "gymnase Jean-Bouin."]
        link = page.locator(f'article a[href="{PREFECTURE}"]')
        assert await link.inner_text() == "le site de la préfecture"
        assert await link.get_attribute("rel") == "noopener noreferrer"
        await page.screenshot(path=str(markdown_site.parent / "publication-markdown.png"),
                              full_page=True)
        # Its easy-read page.
        text = await _visible(page, f"{base}/publications/distribution-eau/facile/")
        assert "Eau : allez à la mairie." in text
        assert await _elements(page, ".easy strong") == ["Eau"]
        assert await _elements(page, ".easy li") == ["Prenez un sac.", "Prenez vos papiers."]
        # The crisis page shows every body of the crisis.
        await _visible(page, f"{base}/crises/{CRISIS_ID}/")
        assert "bouteilles d'eau" in await _elements(page, "article.pub strong")
        assert "gymnase Jean-Bouin." in await _elements(page, "article.pub li")
        # A knowledge-base article (the starter article's answer has bold and a list).
        await _visible(page, f"{base}/articles/eau-potable/")
        assert await _elements(page, "main strong") == ["peut être contaminée"]
        assert len(await _elements(page, "main li")) >= 2
        # The English pages go through the same filter.
        await _visible(page, f"{base}/en/crises/{CRISIS_ID}/")
        assert await page.locator("main article.pub li").count() >= 1
        await browser.close()


async def test_hostile_markdown_never_becomes_markup_in_chromium(
        aiohttp_server: Any, markdown_site: Path) -> None:
    base = await serve_built_site(aiohttp_server, markdown_site)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        for path in ("/publications/texte-hostile/", "/publications/texte-hostile/facile/"):
            response = await page.goto(base + path)
            assert response is not None and response.status == 200
            counts = await page.evaluate("""() => ({
                scripts: document.querySelectorAll('script').length,
                handlers: document.querySelectorAll('[onerror], [onclick]').length,
                images: document.querySelectorAll('main img').length,
                js_links: document.querySelectorAll('a[href^="javascript"]').length})""")
            assert counts == {"scripts": 0, "handlers": 0, "images": 0, "js_links": 0}, path
            # What was typed is shown as text, harmless.
            assert "<script>alert(1)</script>" in await page.inner_text("main"), path
        assert dialogs == []
        await browser.close()


def test_feeds_and_cap_carry_the_body_as_their_formats_require(markdown_site: Path) -> None:
    # Atom: type="html" content is HTML carried as escaped text (RFC 4287 3.1.1.2), not
    # child elements; the summary is plain text.
    atom = etree.parse(str(markdown_site / "feed.xml")).getroot()
    entry = next(e for e in atom.iter(f"{ATOM}entry")
                 if e.findtext(f"{ATOM}title") == "Distribution d'eau")
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html" and len(content) == 0
    assert "<strong>bouteilles d'eau</strong>" in (content.text or "")
    assert f'<a href="{PREFECTURE}"' in (content.text or "")
    summary = entry.findtext(f"{ATOM}summary") or ""
    assert summary.startswith("Des bouteilles d'eau sont distribuées") and "<" not in summary
    hostile = next(e for e in atom.iter(f"{ATOM}entry")
                   if e.findtext(f"{ATOM}title") == "Texte hostile")
    hostile_html = hostile.findtext(f"{ATOM}content") or ""
    assert "<script" not in hostile_html and "&lt;script&gt;" in hostile_html
    # JSON Feed: plain text only (content_text), no HTML at all.
    feed = json.loads((markdown_site / "feed.json").read_text())
    item = next(i for i in feed["items"] if i["title"] == "Distribution d'eau")
    assert "content_html" not in item
    assert item["content_text"].startswith("Des bouteilles d'eau sont distribuées")
    assert "<" not in item["content_text"] and "**" not in item["content_text"]
    # CAP: <description> is plain text (CAP 1.2 has no markup in it).
    cap = etree.parse(str(markdown_site / "cap" / "distribution-eau.xml")).getroot()
    description = cap.findtext("cap:info/cap:description", namespaces=CAP) or ""
    assert description.startswith("Des bouteilles d'eau sont distribuées")
    assert "<" not in description and "**" not in description


async def test_the_home_excerpt_keeps_a_list_one_item_a_line_in_chromium(
        aiohttp_server: Any, markdown_site: Path) -> None:
    base = await serve_built_site(aiohttp_server, markdown_site)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await browser.new_page()
        await _visible(page, f"{base}/")
        excerpt = page.locator("article.pub", has_text="Distribution d'eau").locator(".excerpt")
        lines = [line.strip() for line in (await excerpt.inner_text()).splitlines() if line.strip()]
        # Not "... distribuées : mairie du 15e ; gymnase Jean-Bouin. Plus d'informations ..."
        # run together on one line: each list item reads on its own line.
        assert "mairie du 15e ;" in lines and "gymnase Jean-Bouin." in lines, lines
        await browser.close()
