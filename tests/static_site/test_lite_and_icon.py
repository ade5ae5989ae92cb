"""/lite/ answers with an index of the text pages in both languages, and the site has an icon
(SVG and ICO) linked from every page and served with its type, embedded and in Chromium."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from static_site.builder import BuildReport
from tests.static_site.conftest import CRISIS_ID, serve_built_site
from tests.support.browser import axe_violations, launch_chromium

ICON_LINK = '<link rel="icon" href="/favicon.svg" type="image/svg+xml">'


def html_pages(site_dir: Path) -> list[Path]:
    """Every HTML page of the live build, shards (directory symlinks) included."""
    found = []
    for folder, _, files in os.walk(site_dir.resolve(), followlinks=True):
        found += [Path(folder) / name for name in files if name.endswith(".html")]
    return found


def test_every_html_page_links_the_icon(built: BuildReport, site_dir: Path) -> None:
    pages = html_pages(site_dir)
    assert len(pages) > 50 and any("articles" in str(p) for p in pages)
    missing = [str(p) for p in pages if ICON_LINK not in p.read_text()]
    assert missing == []


def test_the_ico_holds_16_and_32_pixel_images(built: BuildReport, site_dir: Path) -> None:
    data = (site_dir / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 2)
    sizes = [struct.unpack_from("<BB", data, 6 + 16 * i) for i in range(count)]
    assert sizes == [(16, 16), (32, 32)]
    assert (site_dir / "favicon.svg").read_bytes().startswith(b"<svg ")


async def test_lite_index_and_icons_over_http(aiohttp_client: Any, built: BuildReport,
                                              site_dir: Path, aiohttp_server: Any) -> None:
    base = await serve_built_site(aiohttp_server, site_dir)
    async with async_playwright() as p:  # plain HTTP first, through Chromium's network stack
        browser = await launch_chromium(p)
        request = (await browser.new_context()).request
        for path, lang, title in (("/lite/", "fr", "Version texte légère"),
                                  ("/en/lite/", "en", "Lightweight text version")):
            response = await request.get(base + path)
            assert response.status == 200, path
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            text = await response.text()
            assert f'<html lang="{lang}">' in text and title in text
            prefix = "/en" if lang == "en" else ""
            assert f'href="{prefix}/lite/crises/{CRISIS_ID}.txt"' in text
            assert f'href="{prefix}/lite/index.txt"' in text
        for path, kind in (("/favicon.svg", "image/svg+xml"), ("/favicon.ico", "image/x-icon")):
            response = await request.get(base + path)
            assert response.status == 200 and response.headers["content-type"] == kind, path
        await browser.close()


@pytest.mark.browser
async def test_lite_index_reads_and_leads_to_the_text_pages_in_chromium(
        built: BuildReport, site_dir: Path, aiohttp_server: Any, tmp_path: Path) -> None:
    base = await serve_built_site(aiohttp_server, site_dir)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await browser.new_page()
        page.set_default_timeout(5000)
        await page.goto(f"{base}/")
        for _ in range(3):  # the third skip link of every page, shown when focused
            await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Version texte légère"
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base}/lite/")
        text = await page.inner_text("main")
        assert text.startswith("Version texte légère\n")
        assert "Numéros d'urgence : 112, 18, 15, 114" in text
        assert "Crue de la Seine en Île-de-France (Niveau 2, en cours)" in text
        assert await axe_violations(page) == []
        await page.screenshot(path=str(tmp_path / "lite-index.png"), full_page=True)
        await page.click("text=Crue de la Seine en Île-de-France")
        await page.wait_for_url(f"{base}/lite/crises/{CRISIS_ID}.txt")
        assert "== Mettez-vous à l'abri en hauteur ==" in await page.inner_text("body")
        await page.goto(f"{base}/lite/")
        await page.click("text=Text version in English")
        await page.wait_for_url(f"{base}/en/lite/")
        english = await page.inner_text("main")
        assert english.startswith("Lightweight text version\n")
        assert "Emergency numbers : 112, 18, 15, 114" in english
        assert "Flood (Level 2, ongoing)" in english
        # Both icons load as images (what a browser tab shows).
        sizes = await page.evaluate("""async () => Promise.all(
            ['/favicon.svg', '/favicon.ico'].map(src => new Promise(done => {
                const img = new Image();
                img.onload = () => done([img.naturalWidth, img.naturalHeight]);
                img.onerror = () => done(null);
                img.src = src;
            })))""")
        assert sizes[0] is not None and sizes[0][0] > 0
        assert sizes[1] in ([32, 32], [16, 16])
        await page.goto(f"{base}/favicon.svg")
        await page.screenshot(path=str(tmp_path / "favicon.png"))
        await browser.close()
