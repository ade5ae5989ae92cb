"""The console's "Répondre dans le navigateur" in Debian's Chromium: shown on a call given to
the operator when the centre has an API key and a TwiML App, the Twilio Voice SDK loaded from
the centre itself (vendored, no CDN), and an honest message when Twilio cannot be reached
(it cannot from the test machines: no registration with a real account is tested here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from channels.api import DESK
from channels.voice import CALL_DESK
from crisis.context import Context
from crisis.settings import Settings, load_settings
from tests.channels.conftest import until
from tests.channels.test_console_pages import become
from tests.channels.test_voice import flood  # noqa: F401 (fixture)
from tests.channels.test_voice_browser_phone import APP_SID, KEY_SECRET, KEY_SID
from tests.channels.test_voice_calls import queued_call
from tests.channels.voice_support import PUBLIC_URL
from tests.support.browser import axe_violations, launch_chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_API_BASE": PUBLIC_URL + "/sandbox/twilio", "TWILIO_API_KEY_SID": KEY_SID,
            "TWILIO_API_KEY_SECRET": KEY_SECRET, "TWILIO_TWIML_APP_SID": APP_SID}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


async def test_the_console_offers_to_answer_in_the_browser_with_the_vendored_sdk(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None,
        client: Any, flood: str, tmp_path: Path) -> None:  # noqa: F811
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await become(client, ctx, "op1")
    await queued_call(client, "CAweb")
    desk = client.app[DESK]

    async def given() -> Any:
        state = await desk.router.operator("op1")
        return state.conversations[0] if state.conversations else None

    conversation_id = await until(given)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        outside: list[str] = []
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith(base) else None)
        await log_in(page, base, "op1", PASSWORD, "/console/")
        response = await page.goto(f"{base}/console/c/{conversation_id}")
        assert response is not None
        csp = response.headers["content-security-policy"]
        assert "connect-src 'self' wss://*.twilio.com" in csp and "script-src 'self';" in csp
        answer = page.get_by_role("button", name="Répondre dans le navigateur")
        await expect(answer).to_be_visible()
        assert await page.evaluate("typeof window.Twilio.Device") == "function"
        assert await axe_violations(page) == []
        await answer.click()
        # No Twilio from here: after the registration's time limit the page says so, and
        # the operator's calls still go where they went (nothing was saved).
        await expect(page.locator("#browser-phone-status")).to_have_text(
            "Le navigateur n'a pas pu joindre Twilio : utilisez votre téléphone.",
            timeout=20_000)
        await expect(answer).to_be_enabled()
        assert await client.app[CALL_DESK].operator_address("op1") == ""
        assert not [url for url in outside if url.startswith("http")
                    and "twilio.com" not in url], outside  # only Twilio, never a CDN
        await page.screenshot(path=str(tmp_path / "browser-phone.png"), full_page=True)
        await browser.close()
