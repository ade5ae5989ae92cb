"""The console in Debian's Chromium against a real server: an operator answers a queued SMS
with the keyboard (the Twilio stand-in gets it), a citizen chats with an operator, and
axe-core finds no serious or critical problem on the console's pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright, expect

from channels.api import DESK
from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from knowledge_base import KnowledgeBase
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import until
from tests.channels.test_console_pages import SCRIPT, assigned_to, env, sms
from tests.channels.test_sms import run_worker_burst
from tests.conftest import ADMIN
from tests.support.browser import axe_violations, launch_chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["env"]  # the console's plain-http public URL, for the session cookie
PASSWORD = "correct horse battery staple"
CITIZEN = "+33698765432"


async def _serve(aiohttp_server: Any, settings: Settings, redis_url: str) -> tuple[Any, str]:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    return server, str(server.make_url("")).rstrip("/")


async def _log_in(page: Any, base: str, name: str) -> None:
    await log_in(page, base, name, PASSWORD, "/console/")


async def _become_available(page: Any) -> None:
    await page.check("#status-available")
    await page.get_by_role("button", name="Changer de statut").click()
    await expect(page.locator("#my-status")).to_have_text("Disponible")


async def _citizen_messages(server: Any, count: int) -> None:
    store = server.app[DESK].store

    async def arrived() -> bool:
        items, _, _ = await store.page(status=None, channel=None, limit=5, cursor=None)
        return bool(items) and len([m for m in await store.messages(items[0].id)
                                    if m.author == "citizen"]) == count
    await until(arrived)


async def test_an_operator_answers_a_queued_sms_with_a_suggestion_and_the_keyboard(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None,
        env: dict[str, str], twilio: tuple[TwilioStandIn, str]) -> None:
    server, base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("agent", Role.OPERATOR, PASSWORD, actor=ADMIN)
    await sms(server, "je voudrais parler a un humain", "SMB1", CITIZEN)
    await until(server.app[DESK].router.queue_length)
    await sms(server, "ou trouver de l eau potable ?", "SMB2", CITIZEN)
    await _citizen_messages(server, 2)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(page, base, "agent")
        await _become_available(page)
        await expect(page.locator("#my-conversations a")).to_have_count(1)
        await page.keyboard.press("j")  # focus the first conversation, open it with Enter
        await expect(page.locator("#my-conversations a")).to_be_focused()
        await page.keyboard.press("Enter")
        await page.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
        shown = (await page.locator("#suggestion-1").inner_text()).strip()
        assert "eau" in shown.lower() and "**" not in shown  # formatted to read
        article_id = await page.locator("[data-insert='1']").get_attribute("data-article")
        article = await KnowledgeBase.from_context(ctx).live_article(str(article_id))
        assert article is not None
        # Inserted: the SMS form, plain text, since the citizen wrote by SMS.
        suggestion = article.sms
        await page.keyboard.press("Alt+1")
        await expect(page.locator("#reply")).to_be_focused()
        await expect(page.locator("#reply")).to_have_value(suggestion)
        await page.keyboard.press("End")
        await page.keyboard.type(" Bonne journee.")
        await page.keyboard.press("Control+Enter")
        sent = f"{suggestion} Bonne journee."
        await expect(page.locator(".msg-operator .text")).to_have_text(sent)
        await browser.close()
    standin, _ = twilio
    await run_worker_burst(env)
    assert [(m["To"], m["Body"]) for m in standin.messages if m["Body"] == sent] == [(CITIZEN, sent)]


async def test_a_citizen_chats_with_an_operator(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None) -> None:
    server, base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("agent", Role.OPERATOR, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        operator = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(operator, base, "agent")
        await _become_available(operator)
        await expect(operator.locator("body")).to_have_attribute("data-live", "on")
        citizen = await (await browser.new_context(locale="fr-FR")).new_page()
        await citizen.goto(f"{base}/chat/")
        await citizen.fill("#crisis-chat-input", "agent")
        await citizen.keyboard.press("Enter")
        await expect(citizen.locator(".chat-auto")).to_contain_text("conseiller")
        # The operator's list updates live (no reload): the conversation is offered.
        offered = operator.locator("#my-conversations a")
        await expect(offered).to_have_count(1)
        await expect(offered).to_contain_text("chat")
        await offered.click()
        # Until the page has loaded, its script (Ctrl+Enter sends) may not run yet: a key
        # pressed before is lost, and the reply never leaves.
        await operator.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
        await operator.fill("#reply", "Bonjour, je suis conseiller. Que se passe-t-il ?")
        await operator.keyboard.press("Control+Enter")
        await expect(citizen.locator(".chat-adviser")).to_contain_text("Que se passe-t-il ?")
        # The citizen answers with HTML: the operator's page shows it as text, live.
        await citizen.fill("#crisis-chat-input", SCRIPT)
        await citizen.keyboard.press("Enter")
        await expect(operator.locator(".msg-citizen .text").last).to_have_text(SCRIPT)
        assert await operator.locator(".history script, .history b, .history img").count() == 0
        await browser.close()


async def test_a_chat_conversation_reads_formatted_in_paris_time_and_inserts_plain_text(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None,
        tmp_path: Path) -> None:
    server, base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("agent", Role.OPERATOR, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        citizen = await (await browser.new_context(locale="fr-FR")).new_page()
        await citizen.goto(f"{base}/chat/")
        for question in ("agent", "l'eau du robinet est-elle potable ?"):
            await citizen.fill("#crisis-chat-input", question)
            await citizen.keyboard.press("Enter")
        await expect(citizen.locator(".chat-you")).to_have_count(2)
        operator = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(operator, base, "agent")
        await _become_available(operator)
        await operator.locator("#my-conversations a").click()
        await operator.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
        # Times on the page are Paris times (CRISIS_TIMEZONE's default), not UTC.
        conversation_id = operator.url.rsplit("/", 1)[1]
        messages = await server.app[DESK].store.messages(conversation_id)
        paris = ZoneInfo("Europe/Paris")
        history = await operator.locator("#history").inner_text()
        for message in messages:
            assert message.at.astimezone(paris).strftime("%H:%M:%S") in history
            assert message.at.astimezone(dt.timezone.utc).strftime("%H:%M:%S") not in history
        # The suggestion reads formatted: bold, not asterisks.
        shown = operator.locator("#suggestion-1")
        await expect(shown.locator("strong", has_text="peut être contaminée")).to_be_visible()
        assert "**" not in await shown.inner_text()
        await operator.screenshot(path=str(tmp_path / "console-chat-conversation.png"),
                                  full_page=True)
        # Inserted in the reply box (plain text sent as is): no Markdown marker either.
        await operator.keyboard.press("Alt+1")
        reply = operator.locator("#reply")
        await expect(reply).to_have_value(re.compile("peut être contaminée par la crue"))
        value = await reply.input_value()
        assert "**" not in value and "\n- ne la buvez pas" in value
        await browser.close()


async def test_the_console_pages_pass_axe(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None) -> None:
    server, base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("chef", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    await sms(server, "je voudrais parler a un humain", "SMX1")
    await until(server.app[DESK].router.queue_length)
    await sms(server, "ou trouver de l eau potable ?", "SMX2")
    await _citizen_messages(server, 2)
    problems: dict[str, list[dict[str, Any]]] = {}
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(page, base, "chef")
        problems["/console/ (empty)"] = await axe_violations(page)
        await _become_available(page)
        [conversation_id] = await assigned_to(server, "chef")
        for path in ("/console/", "/console/?lang=en", f"/console/c/{conversation_id}",
                     f"/console/c/{conversation_id}?lang=en", "/console/supervisor",
                     "/console/supervisor?lang=en", "/chat/"):
            await page.goto(base + path)
            problems[path] = await axe_violations(page)
        await browser.close()
    assert {path: found for path, found in problems.items() if found} == {}


async def test_an_operator_transfers_to_a_topic_with_the_keyboard(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None) -> None:
    server, base = await _serve(aiohttp_server, settings, redis_url)
    for name in ("agent", "assureur"):
        await ctx.accounts.create_account(name, Role.OPERATOR, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        agent = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(agent, base, "agent")
        await _become_available(agent)
        await sms(server, "je voudrais parler a un humain", "SMF1", CITIZEN)
        await expect(agent.locator("#my-conversations a")).to_have_count(1)
        # The insurance specialist ticks their topic and becomes available.
        specialist = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(specialist, base, "assureur")
        await specialist.check("#me-topics-assurance")
        await _become_available(specialist)
        await expect(specialist.locator("body")).to_have_attribute("data-live", "on")
        await agent.keyboard.press("j")
        await agent.keyboard.press("Enter")
        await agent.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
        await agent.keyboard.press("Alt+t")
        target = agent.locator("#target")
        await expect(target).to_be_focused()
        await target.select_option("topic:assurance")
        await agent.keyboard.press("Tab")
        await expect(agent.get_by_label("Note pour l'opérateur suivant")).to_be_focused()
        await agent.keyboard.type("Sinistre dans la cave, contrat habitation")
        await agent.keyboard.press("Tab")
        await agent.keyboard.press("Enter")
        await agent.wait_for_url(f"{base}/console/")
        # The specialist's list updates live; the note is the first thing they read.
        offered = specialist.locator("#my-conversations a")
        await expect(offered).to_have_count(1)
        await offered.click()
        await expect(specialist.locator("#transfer-note-shown")).to_contain_text(
            "Sinistre dans la cave, contrat habitation")
        await expect(specialist.locator("#topic-label")).to_have_text("Assurance, aides")
        await expect(agent.locator("#my-conversations")).to_contain_text("Aucune conversation")
        await browser.close()


async def test_an_english_sms_shows_its_language_to_the_supervisor_and_on_the_conversation(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str, kb: None) -> None:
    """An SMS carries no language: the centre tells an English one, and the console says so
    where a supervisor decides who takes it."""
    server, base = await _serve(aiohttp_server, settings, redis_url)
    await ctx.accounts.create_account("chef", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    await sms(server, "hi, I would like to talk to someone please", "SML1", CITIZEN)
    await until(server.app[DESK].router.queue_length)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        await _log_in(page, base, "chef")
        await page.goto(base + "/console/supervisor")
        row = page.locator("#conversations tbody tr").first
        await expect(row).to_contain_text("Anglais")
        await expect(row).to_contain_text("hi, I would like to talk to someone please")
        await row.get_by_role("link").click()
        await page.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
        await expect(page.locator("#conversation-lang")).to_have_text("Anglais")
        visible = await page.locator("main").inner_text()
        assert "Langue : Anglais" in visible
        # The citizen was told, in English, that an adviser will answer.
        assert "An adviser will answer you" in visible
        Path("/tmp/screens").mkdir(exist_ok=True)
        await page.screenshot(path="/tmp/screens/console-english-conversation.png", full_page=True)
        await browser.close()
