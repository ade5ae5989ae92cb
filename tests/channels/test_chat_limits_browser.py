"""A citizen over the chat's per-address limit sees, in the widget, what happens to their
message (Debian's Chromium against a real server)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from crisis.settings import Settings, load_settings
from tests.support.browser import ROOT, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings({**env, "CRISIS_CHAT_MESSAGES_PER_IP_PER_MINUTE": "1"})


async def test_the_widget_says_the_message_waits(aiohttp_server: Any, settings: Settings,
                                                 redis_url: str) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="fr-FR")
        await page.goto(f"{base}/chat/")
        status = page.locator(".chat-status")
        await expect(status).to_have_text("Connecté")
        await page.fill("#crisis-chat-input", "bonjour")
        await page.keyboard.press("Enter")
        await expect(page.locator(".chat-auto")).to_be_visible()
        await page.fill("#crisis-chat-input", "la route est-elle coupée ?")
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text(
            "Beaucoup de messages sont partis de votre connexion en peu de temps")
        await expect(status).to_contain_text("il repartira tout seul dans")
        await expect(status).to_contain_text("appelez le 112")
        # The refused message is still shown as the citizen's and kept to send again.
        await expect(page.locator(".chat-you")).to_have_count(2)
        pending = await page.evaluate("JSON.parse(localStorage.getItem('crisis-chat')).pending")
        assert [m["text"] for m in pending] == ["la route est-elle coupée ?"]
        shots = os.environ.get("CRISIS_SCREENSHOTS")
        if shots:
            await page.screenshot(path=str(ROOT / shots / "chat-rate-limited.png"), full_page=True)
        await browser.close()
