"""A citizen over the chat's per-address limit sees, in the widget, what happens to their
message (Debian's Chromium against a real server)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from channels import store as store_module
from crisis.events import make_event
from crisis.web.app_keys import CONTEXT
from crisis.settings import Settings, load_settings
from tests.channels.conftest import stall_a_group
from tests.support.browser import ROOT, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _open_chat(browser: Browser, base: str) -> tuple[Page, Locator]:
    """The chat page, French, once its socket is connected; and its status line."""
    page = await browser.new_page(locale="fr-FR")
    await page.goto(f"{base}/chat/")
    status = page.locator(".chat-status")
    await expect(status).to_have_text("Connecté")
    return page, status


async def _pending(page: Page) -> list[str]:
    """The messages the widget keeps to send again (not acknowledged yet)."""
    kept = await page.evaluate("JSON.parse(localStorage.getItem('crisis-chat')).pending")
    return [m["text"] for m in kept]


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
        page, status = await _open_chat(browser, base)
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
        assert await _pending(page) == ["la route est-elle coupée ?"]
        shots = os.environ.get("CRISIS_SCREENSHOTS")
        if shots:
            await page.screenshot(path=str(ROOT / shots / "chat-rate-limited.png"), full_page=True)
        await browser.close()


async def test_the_widget_sends_a_message_again_once_the_centre_catches_up(
        aiohttp_server: Any, env: dict[str, str], redis_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline far behind (a group that reads nothing holds the conversations' stream at
    its bound): the citizen reads that the centre is overwhelmed and that the message will go
    by itself; it does, once the centre has caught up, with no action of theirs."""
    from crisis.app import build_app
    settings = load_settings(env)
    monkeypatch.setattr(store_module, "BACKLOG_RETRY_AFTER_S", 1)
    app = build_app(settings, redis_url)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    ctx = app[CONTEXT]
    redis, stream = ctx.redis, ctx.keys.conversation_events
    await stall_a_group(ctx, monkeypatch)
    await ctx.bus.publish(make_event("conversation.noted", actor="test", subject="c0"))
    monkeypatch.setattr(store_module, "CONVERSATION_BACKLOG_LIMIT", await redis.xlen(stream))
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        page, status = await _open_chat(browser, base)
        await page.fill("#crisis-chat-input", "ou dormir ce soir ?")
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text("Le centre reçoit énormément de messages")
        await expect(status).to_contain_text("il repartira tout seul dans 1 s")
        await expect(status).to_contain_text("appelez le 112")
        assert await _pending(page) == ["ou dormir ce soir ?"]
        shots = os.environ.get("CRISIS_SCREENSHOTS")
        if shots:
            await page.screenshot(path=str(ROOT / shots / "chat-busy.png"), full_page=True)
        # The centre catches up: the widget's own retry gets the message through.
        await redis.xgroup_destroy(stream, "stalled")
        monkeypatch.setattr(store_module, "CONVERSATION_BACKLOG_LIMIT", 100_000)
        await expect(status).to_have_text("Connecté", timeout=10_000)
        await expect(page.locator(".chat-you")).to_have_count(1)
        assert await _pending(page) == []
        await browser.close()
