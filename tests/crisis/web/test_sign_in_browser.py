"""Signing in and out, and the error pages, in Debian's Chromium: what a person reads on the
403 and 404 pages in French and in English, where each role lands, signing out of a cell page.

Screenshots of each page go to the test's temporary directory (look at them when these pages
change)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from tests.conftest import ADMIN
from tests.support.browser import axe_violations, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"


async def _serve(aiohttp_server: Any, settings: Settings, redis_url: str) -> str:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    return str(server.make_url("")).rstrip("/")


async def _sign_in(page: Any, base: str, name: str, next_url: str = "") -> None:
    """The login form, by keyboard, with or without a page to go back to."""
    await page.goto(f"{base}/login" + (f"?next={next_url}" if next_url else ""))
    await page.fill("#name", name)
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()


async def test_each_role_lands_home_and_a_forbidden_page_says_where_to_go(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str,
        tmp_path: Path) -> None:
    base = await _serve(aiohttp_server, settings, redis_url)
    for name, role in (("agent", Role.OPERATOR), ("chef", Role.SUPERVISOR)):
        await ctx.accounts.create_account(name, role, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        # A supervisor sent to a cell-only page lands on the board, not on an error.
        await _sign_in(page, base, "chef", "/cell/builds")
        await page.wait_for_url(f"{base}/console/supervisor")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Supervision")
        await page.get_by_role("button", name="Se déconnecter").click()
        await page.wait_for_url(f"{base}/login")
        # An operator lands on the console; a cell page then is a clear 403 page.
        await _sign_in(page, base, "agent")
        await page.wait_for_url(f"{base}/console/")
        await page.goto(f"{base}/cell/builds")
        main = page.locator("main")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
        text = await main.inner_text()
        assert "Erreur 403" in text
        assert "Votre compte « agent » (opérateur) ne donne pas accès à cette page." in text
        assert "Où aller maintenant" in text and "Consulter le site d'information public" in text
        assert "this needs the cell role" not in await page.inner_text("body")
        await page.screenshot(path=str(tmp_path / "403-fr.png"), full_page=True)
        assert await axe_violations(page) == []
        # The way out it names works: the operator's home.
        await page.get_by_role("link", name="Aller à la console des opérateurs").click()
        await page.wait_for_url(f"{base}/console/")
        # In English, through the page's language link.
        await page.goto(f"{base}/cell/builds")
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
        text = await main.inner_text()
        assert "Error 403" in text
        assert "Your account “agent” (operator) does not give access to this page." in text
        assert "Go to the operator console" in text and "Sign in with another account" in text
        await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        await page.screenshot(path=str(tmp_path / "403-en.png"), full_page=True)
        await browser.close()


async def test_a_missing_page_says_so_in_the_browsers_language(
        aiohttp_server: Any, settings: Settings, redis_url: str, tmp_path: Path) -> None:
    base = await _serve(aiohttp_server, settings, redis_url)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        for locale, heading, lines in (
                ("fr-FR", "Page introuvable",
                 ("Erreur 404", "Cette page n'existe pas ou n'existe plus.", "Se connecter",
                  "Consulter le site d'information public")),
                ("en-GB", "Page not found",
                 ("Error 404", "This page does not exist or no longer exists.", "Sign in",
                  "Read the public information site"))):
            page = await (await browser.new_context(locale=locale)).new_page()
            page.set_default_timeout(5000)
            response = await page.goto(f"{base}/cell/no-such-page")
            assert response is not None and response.status == 404
            await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            text = await page.locator("main").inner_text()
            assert all(line in text for line in lines), text
            await page.screenshot(path=str(tmp_path / f"404-{locale}.png"), full_page=True)
            assert await axe_violations(page) == []
            # "Sign in" leads to the login form in the same language.
            await page.get_by_role("link", name=lines[2], exact=True).click()
            await expect(page.locator("#name")).to_be_visible()
        await browser.close()


async def test_signing_out_from_a_cell_page(aiohttp_server: Any, ctx: Context,
                                            settings: Settings, redis_url: str,
                                            tmp_path: Path) -> None:
    base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await _sign_in(page, base, "cellule")
        await page.wait_for_url(f"{base}/cell/")
        await page.get_by_role("navigation").get_by_role("link", name="Publications",
                                                          exact=True).click()
        await page.wait_for_url(f"{base}/cell/publications")
        header = await page.locator("header").inner_text()
        assert "Connecté en tant que cellule" in header
        await page.screenshot(path=str(tmp_path / "cell-signed-in.png"))
        await page.get_by_role("button", name="Se déconnecter").click()
        await page.wait_for_url(f"{base}/login")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        # Signed out for real: the cell sends back to the login form.
        await page.goto(f"{base}/cell/publications")
        await page.wait_for_url(f"{base}/login?next=/cell/publications")
        await browser.close()
