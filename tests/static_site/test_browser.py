"""In Debian's Chromium: axe-core on every page template of the site and the cell, and the
cell activating a scenario and publishing a publication that then shows on the site."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import async_playwright

from crisis.context import Context
from crisis.types import Role
from knowledge_base import KnowledgeBase
from static_site.model import SiteConfig
from static_site.service import run_build
from tests.conftest import ADMIN
from tests.static_site.conftest import CRISIS_ID
from tests.support.browser import axe_violations, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"


def site_pages_of_every_template(crisis_id: str, pub_id: str, article_id: str) -> list[str]:
    return ["/", "/en/", f"/crises/{crisis_id}/", f"/en/crises/{crisis_id}/",
            f"/publications/{pub_id}/", f"/publications/{pub_id}/facile/",
            f"/en/publications/{pub_id}-en/", "/articles/", f"/articles/{article_id}/",
            "/themes/", "/themes/eau/", "/departements/75/", "/en/departements/92/", "/nope/"]


async def _login(page: Any, base: str) -> None:
    await page.goto(f"{base}/login?next=/cell/")
    await page.fill("#name", "cellule")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/cell/")


async def test_cell_activates_publishes_and_the_site_shows_it_accessibly(
        aiohttp_server: Any, ctx: Context, settings: Any, redis_url: str) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    config = SiteConfig.from_settings(settings)
    problems: dict[str, list[dict[str, Any]]] = {}
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        # French readers: the cell follows the browser's language.
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await _login(page, base)
        problems["/cell/"] = await axe_violations(page)
        # Activate with the keyboard-reachable form: pick, preview, confirm.
        await page.click("nav.menu >> text=Activer un scénario")
        problems["/cell/activate"] = await axe_violations(page)
        await page.select_option("#scenario", "inondation")
        await page.fill("#areas", "75,92")
        await page.select_option("#level", "2")
        await page.fill("#title", "Crue navigateur")
        await page.click("button:has-text('Prévisualiser')")
        await page.get_by_text("Ce qui sera mis en ligne").wait_for()
        problems["/cell/activate (preview)"] = await axe_violations(page)
        await page.click("button:has-text('Activer maintenant')")
        await page.wait_for_url(f"{base}/cell/")
        await page.get_by_role("heading", name="Crue navigateur").wait_for()
        problems["/cell/ (live crisis)"] = await axe_violations(page)
        # Draft and publish a publication.
        await page.click("nav.menu >> text=Publications")
        problems["/cell/publications"] = await axe_violations(page)
        await page.fill("#title", "Fermeture des quais")
        await page.fill("#body", "Les **quais** sont fermés jusqu'à nouvel ordre.")
        await page.fill("#easy_read", "Les quais sont fermés.")
        await page.click("button:has-text('Enregistrer le brouillon')")
        await page.wait_for_url(f"{base}/cell/publications/fermeture-des-quais")
        problems["/cell/publications/x"] = await axe_violations(page)
        await page.click("button:has-text('Publier')")
        await page.wait_for_url(f"{base}/cell/publications/fermeture-des-quais")
        assert await page.text_content("#status") == "publiée"
        record = await run_build(ctx.redis, ctx.keys, config, settings.site_path,
                                 kb=KnowledgeBase.from_context(ctx), trigger="e2e")
        assert record.ok, record.error
        await page.click("nav.menu >> text=Publications du site")
        problems["/cell/builds"] = await axe_violations(page)
        await page.goto(f"{base}/")
        await page.get_by_role("link", name="Fermeture des quais").click()
        await page.get_by_role("heading", name="Fermeture des quais", level=1).wait_for()
        await page.get_by_role("link", name="Version facile à lire").click()
        await page.get_by_text("Les quais sont fermés.").wait_for()
        crisis = (await ctx.crises.list_live())[0]
        pub_id = f"{crisis.id}-montez-en-hauteur"
        article = "eau-potable"
        for path in site_pages_of_every_template(crisis.id, pub_id, article):
            response = await page.goto(base + path)
            assert response is not None and response.status in (200, 404), path
            problems[path] = await axe_violations(page)
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.goto(base + "/")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, "the home page scrolls sideways on a 320 px phone"
        await browser.close()
    bad = {path: found for path, found in problems.items() if found}
    assert not bad, bad
    assert CRISIS_ID  # the fixtures' crisis id shape matches the live one's
