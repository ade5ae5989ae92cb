"""The demo's phone simulator in Debian's Chromium: a call walks the IVR's real TwiML
(greeting -> spoken question answered -> menu 4 -> queued), read from the page's text."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from crisis.context import Context
from crisis.settings import Settings, load_settings
from crisis.types import Role
from tests.channels.test_voice import flood  # noqa: F401 (fixture)
from tests.channels.voice_support import PUBLIC_URL
from tests.conftest import ADMIN
from tests.support.browser import axe_violations, launch_chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
SCREENSHOT = Path(os.environ.get("CRISIS_SCREENSHOT_DIR", "")) if os.environ.get(
    "CRISIS_SCREENSHOT_DIR") else None


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    # The sandbox: Twilio's REST API is the centre itself, as `crisis up --demo` sets it.
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_API_BASE": PUBLIC_URL + "/sandbox/twilio"}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


async def test_a_call_in_the_simulator_is_greeted_answered_and_queued(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None,
        client: Any, flood: str, tmp_path: Path) -> None:  # noqa: F811
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("sup", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        await log_in(page, base, "sup", PASSWORD, "/console/")
        await page.goto(f"{base}/sandbox/phone")
        transcript = page.locator("#transcript")
        await page.get_by_role("button", name="Appeler le serveur vocal").click()
        await expect(transcript).to_contain_text("inondations en cours")
        await expect(transcript).to_contain_text("Voici les consignes en vigueur")
        await expect(transcript).to_contain_text("tapez trois")
        await expect(page.locator("#status")).to_have_text("À vous : touche ou parole.")
        await page.get_by_role("button", name="3", exact=True).click()
        await expect(transcript).to_contain_text("Posez votre question")
        await page.get_by_label("Parler").fill("est-ce que l'eau du robinet est potable")
        await page.get_by_role("button", name="Dire").click()
        await expect(transcript).to_contain_text("contaminée")
        await expect(transcript).to_contain_text("Pour recevoir cette réponse par SMS")
        text = await transcript.inner_text()
        assert "http" not in text and "**" not in text
        await page.get_by_role("button", name="4", exact=True).click()
        await expect(transcript).to_contain_text("en file d'attente")
        await expect(transcript).to_contain_text("Vous êtes en position un dans la file")
        await expect(page.locator("#status")).to_have_text("En attente d'un conseiller.")
        assert await axe_violations(page) == []
        await page.screenshot(path=str((SCREENSHOT or tmp_path) / "phone-simulator.png"),
                              full_page=True)
        await page.get_by_role("button", name="Raccrocher").click()
        await expect(page.locator("#status")).to_have_text("Vous avez raccroché.")
        await browser.close()
