"""The web chat in Debian's Chromium: an automatic answer reads formatted (the knowledge base
writes Markdown), says nothing meant for SMS, and the chat's own button reaches an adviser.

Screenshots go to the test's temporary directory (look at them when the widget changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from channels.api import DESK
from crisis.settings import Settings
from crisis.types import ConversationStatus
from tests.channels.conftest import until
from tests.support.browser import axe_violations, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_chat_citizen_reads_a_formatted_answer_and_asks_for_an_adviser(
        aiohttp_server: Any, settings: Settings, redis_url: str, kb: None,
        tmp_path: Path) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        for locale, lang, question, bold, hint, button in (
                ("fr-FR", "fr", "l'eau du robinet est-elle potable ?", "peut être contaminée",
                 "choisissez « Parler à un conseiller »", "Parler à un conseiller"),
                ("en-GB", "en", "is tap water safe to drink?", "may be contaminated",
                 "choose “Talk to an adviser”", "Talk to an adviser")):
            citizen = await (await browser.new_context(locale=locale)).new_page()
            citizen.set_default_timeout(10_000)
            await citizen.goto(f"{base}/chat/")
            await citizen.fill("#crisis-chat-input", question)
            await citizen.keyboard.press("Enter")
            answer = citizen.locator(".chat-auto").first
            # The article's "**peut être contaminée**" is bold, not asterisks.
            await expect(answer.locator("strong", has_text=bold)).to_be_visible()
            text = await answer.inner_text()
            assert "**" not in text and "<strong>" not in text and "<p>" not in text
            assert "répondez 0" not in text.lower() and "reply 0" not in text.lower()
            assert hint in text
            if lang == "fr":  # the French article's list is a list
                assert await answer.locator("li").count() >= 2
            await citizen.screenshot(path=str(tmp_path / f"chat-answer-{lang}.png"),
                                     full_page=True)
            assert await axe_violations(citizen) == []
            # The chat's own way to an adviser: the button, which queues the conversation.
            await citizen.get_by_role("button", name=button).click()
            await expect(citizen.locator(".chat-you").last).to_contain_text(
                "conseiller" if lang == "fr" else "adviser")
            await expect(citizen.locator(".chat-auto").last).to_contain_text(
                "Un conseiller va vous répondre" if lang == "fr" else "An adviser will answer you")
            await citizen.screenshot(path=str(tmp_path / f"chat-adviser-{lang}.png"),
                                     full_page=True)
        await browser.close()
    store = server.app[DESK].store

    async def both_queued() -> bool:
        _, total, _ = await store.page(status=ConversationStatus.QUEUED.value, channel=None,
                                       limit=5, cursor=None)
        return total == 2
    assert await until(both_queued)


async def test_a_waiting_chat_citizen_picks_an_offered_answer_by_its_number(
        aiohttp_server: Any, settings: Settings, redis_url: str, kb: None,
        tmp_path: Path) -> None:
    """A question the knowledge base is not sure of: the queue notice lists the likeliest
    articles, one per line; typing a number reads that answer, formatted, at once."""
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        citizen = await (await browser.new_context(locale="fr-FR")).new_page()
        citizen.set_default_timeout(10_000)
        await citizen.goto(f"{base}/chat/")
        await citizen.fill("#crisis-chat-input", "le lycee de ma fille rouvre quand")
        await citizen.keyboard.press("Enter")
        notice = citizen.locator(".chat-auto").first
        await expect(notice).to_contain_text("Un conseiller va vous répondre")
        await expect(notice).to_contain_text(
            "En attendant, l'une de ces réponses peut vous aider : répondez par son numéro.")
        # The choices read as a numbered list (the chat formats its automatic messages), the
        # first one the schools' question.
        choices = notice.locator("ol > li")
        await expect(choices).to_have_count(3)
        await expect(choices.first).to_have_text("Les écoles sont-elles fermées ?")
        assert await notice.locator("ol").get_attribute("start") in (None, "1")
        await citizen.screenshot(path=str(tmp_path / "chat-choices.png"), full_page=True)
        await citizen.fill("#crisis-chat-input", "1")
        await citizen.keyboard.press("Enter")
        answer = citizen.locator(".chat-auto").nth(1)
        await expect(answer.locator(".chat-formatted")).to_be_visible()
        text = await answer.inner_text()
        assert "école" in text.lower() and "**" not in text
        await citizen.screenshot(path=str(tmp_path / "chat-chosen.png"), full_page=True)
        assert await axe_violations(citizen) == []
        await browser.close()
    store = server.app[DESK].store

    async def answered() -> bool:  # off the operators' queue
        _, total, _ = await store.page(status=ConversationStatus.AUTO_ANSWERED.value,
                                       channel=None, limit=5, cursor=None)
        return total == 1
    assert await until(answered)
