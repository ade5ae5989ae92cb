"""The cell's live situation page over real HTTP (figures after real activity, roles, English,
a failing section, the fragment) and in Debian's Chromium (axe, the chart's name, the live
refresh without reloading, 320 px wide)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect

from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from crisis.web.app_keys import CONTEXT
from knowledge_base import KnowledgeBase
from knowledge_base.alternates import propose_alternate
from knowledge_base.article import parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.tooling.calibration_sets import DATA
from tests.channels.conftest import until
from tests.conftest import ADMIN, CELL, OPERATOR, login
from tests.support.browser import axe_violations, launch_chromium, log_in

PASSWORD = "correct horse battery staple"


async def _chat_contact(session: Any, url: str, text: str = "bonjour, il y a quelqu'un ?") -> None:
    """A citizen writes on the web chat: one contact on the chat channel."""
    socket = await session.ws_connect(url)
    await socket.send_json({"type": "hello", "token": None, "since": None, "lang": "fr"})
    assert (await socket.receive_json(timeout=5))["type"] == "welcome"
    await socket.send_json({"type": "message", "id": "m1", "text": text})
    assert (await socket.receive_json(timeout=10)) == {"type": "ack", "id": "m1"}
    await socket.close()


def _cell(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return unescape(found.group(1)).strip()


async def test_the_cell_sees_the_figures_after_real_activity(
        client: Any, ctx: Context, knowledge: KnowledgeBase) -> None:
    await login(client, ctx, "chef", Role.CELL)
    empty = await client.get("/cell/situation")
    html = await empty.text()
    assert empty.status == 200
    assert "aucun contact pour l&#39;instant" in html and _cell(html, "fig-contacts-total") == "0"
    assert _cell(html, "fig-queue-length") == "0" and "indisponible" not in html
    assert 'aria-current="page">Situation</a>' in html and "Actualiser</a>" in html
    await import_articles(knowledge.store,
                          parse_article_lines((DATA / "kb-inondation.jsonl").read_text("utf-8").splitlines()),
                          actor=ADMIN)
    answer = await knowledge.answer_question("est ce que je peux boire l eau du robinet", channel="sms")
    assert answer.answer_id is not None
    await propose_alternate(knowledge.store, answer.answer_id, "flotte du robinet buvable",
                            actor=OPERATOR)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75", "92"], level=2,
                            actor=CELL, title="Crue <b>Seine</b>")
    await _chat_contact(client, "/chat/ws")

    async def one_contact() -> str | None:
        page = await (await client.get("/cell/situation")).text()
        return page if _cell(page, "fig-contacts-chat") == "1" else None

    html = await until(one_contact)
    assert _cell(html, "fig-contacts-total") == "1" and "aucun contact" not in html
    assert _cell(html, "fig-automatic-share") == "100 %"
    assert "Crue &lt;b&gt;Seine&lt;/b&gt;" in html and "75, 92" in html
    assert f"<strong>{answer.answer_id}</strong> : 1 réponse (automatique : 1, opérateur : 0)" in html
    assert re.search(r'id="fig-pending">1 <a href="/cell/kb#alternates"', html)
    assert re.search(r'<title id="chart-contacts-title">Contacts par canal</title>'
                     r'<desc id="chart-contacts-desc">SMS 0, Téléphone 0, Chat web 1,', html)
    english = await (await client.get("/cell/situation?lang=en")).text()
    assert "<h1>Live situation</h1>" in english and "Contacts per channel" in english
    assert 'href="/cell/situation?lang=en"' in english and "Refresh</a>" in english
    assert ">Contacts per channel</title><desc id=\"chart-contacts-desc\">SMS 0, Phone 0, Web chat 1," \
        in english and "Areas: 75, 92" in english


async def test_supervisors_see_it_operators_do_not(client: Any, ctx: Context) -> None:
    await login(client, ctx, "sup", Role.SUPERVISOR)
    assert (await client.get("/cell/situation")).status == 200
    client.session.cookie_jar.clear()
    await login(client, ctx, "op", Role.OPERATOR)
    refused = await client.get("/cell/situation", allow_redirects=False)
    assert refused.status == 403
    assert (await client.get("/cell/situation?fragment=1", allow_redirects=False)).status == 403
    client.session.cookie_jar.clear()
    anonymous = await client.get("/cell/situation", allow_redirects=False)
    assert anonymous.status in (302, 303) and "/login" in anonymous.headers["Location"]


async def test_a_failing_section_says_unavailable_without_breaking_the_page(client: Any, ctx: Context) -> None:
    async def broken() -> dict[str, object]:
        raise ConnectionError("the knowledge base is down")

    client.server.app[CONTEXT].add_situation("knowledge_base", broken)
    headers = await login(client, ctx, "chef", Role.CELL)
    response = await client.get("/cell/situation")
    html = await response.text()
    assert response.status == 200
    assert "Base de connaissances : indisponible" in html
    assert _cell(html, "fig-contacts-total") == "0"  # the other sections still show
    as_json = await (await client.get("/api/situation", headers=headers)).json()
    assert as_json["knowledge_base"] == {"error": "unavailable"}


async def test_the_fragment_is_the_figures_region_only(client: Any, ctx: Context) -> None:
    await login(client, ctx, "chef", Role.CELL)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75"], level=3,
                            actor=CELL, title="Crue <script>alert(1)</script>")
    response = await client.get("/cell/situation?fragment=1&lang=en")
    html = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert html.lstrip().startswith('<p class="updated">Updated at <time')
    assert "<html" not in html and "<nav" not in html and "<h1" not in html and "<script" not in html
    assert "Crue &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="fig-contacts-total"' in html and "Live crises" in html
    page = await (await client.get("/cell/situation?lang=en")).text()
    assert '<div id="situation-figures" class="situation">' in page and "cell_situation.js" in page


@pytest.mark.browser
@pytest.mark.slow
async def test_the_page_refreshes_itself_is_accessible_and_fits_320px_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75", "92"], level=2,
                            actor=CELL, title="Crue de la Seine")
    async with aiohttp.ClientSession() as citizen, async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/situation")
        assert await axe_violations(page) == []
        chart = page.get_by_role("img", name="Contacts par canal", exact=True)
        await expect(chart).to_have_count(1)
        await expect(chart).to_have_accessible_description(
            re.compile(r"^SMS 0, Téléphone 0, Chat web 0,"))
        await expect(page.locator("#fig-contacts-chat")).to_have_text("0")
        first_time = await page.locator("#situation-updated").inner_text()
        await page.evaluate("window.notReloaded = true")
        await page.locator("#sit-channel-region").focus()  # a keyboard user reading the table
        # A citizen writes on the chat: the figures change within a refresh, with no reload.
        await _chat_contact(citizen, f"{base}/chat/ws")
        await expect(page.locator("#fig-contacts-chat")).to_have_text("1", timeout=15000)
        await expect(page.get_by_role("img", name="Contacts par canal", exact=True)
                     ).to_have_accessible_description(re.compile(r"Chat web 1,"))
        await expect(page.locator("#situation-updated")).not_to_have_text(first_time)
        assert await page.evaluate("window.notReloaded === true")
        await expect(page.locator("#sit-channel-region")).to_be_focused()  # the swap kept the focus
        # The bar chart is redrawn too: its printed count (pygal's text) says 1 for the chat.
        await expect(page.locator("#chart-contacts .text-overlay text")).to_contain_text(["1"])
        assert await page.locator("[aria-live]").count() == 0
        # Keyboard: the refresh link is reached with Tab and shows its focus.
        for _ in range(20):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.id") == "situation-refresh":
                break
        assert await page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        assert await axe_violations(page) == []
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.goto(f"{base}/cell/situation")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        assert await page.evaluate("(t => t.scrollWidth <= t.clientWidth)(document.querySelector('.table-scroll'))")
        assert await axe_violations(page) == []
        await browser.close()


@pytest.mark.browser
@pytest.mark.slow
async def test_the_alert_subscribers_and_broadcasts_show_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    """Who subscribed where, and the latest broadcast, read from the page as the cell sees
    it; a supervisor gets no link to the cell's broadcasts page (they could not open it)."""
    from channels.alerts.broadcasts import Broadcasts
    from channels.alerts.subscriptions import Subscriptions
    from channels.keys import ChannelKeys
    from crisis.app import build_app
    from crisis.publication_file import parse_publication

    keys = ChannelKeys(ctx.keys)
    subscriptions = Subscriptions(ctx.redis, keys, ctx.secret)
    for n, (channel, areas) in enumerate((("sms", ("75", "92")), ("sms", ("75",)),
                                          ("telegram", ("75",)))):
        await subscriptions.subscribe(channel, f"+3361000000{n}", areas, source="test")
    publication = await ctx.publications.publish_document(parse_publication(
        "---\ntitle: Quais fermés\narea: [75]\n---\nLes quais sont fermés.\n"), actor=CELL)
    broadcasts = Broadcasts(ctx.redis, keys)
    broadcast_id, _ = await broadcasts.create(publication, "https://x.example")
    await broadcasts.snapshot(broadcast_id)
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    await ctx.accounts.create_account("superviseur", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/situation")
        section = page.locator("section[aria-labelledby=sit-alerts]")
        text = await section.inner_text()
        assert "Alertes aux abonnés" in text and "Abonnés\n3" in text.replace("\t", "\n")
        assert "75 Paris · 3" in text and "92 Hauts-de-Seine · 1" in text
        assert "Quais fermés : envoi en cours, 0 envoyés sur 3" in text
        await page.screenshot(path="/tmp/screens/situation-alerts.png", full_page=True)
        await expect(section.get_by_role("link", name="Toutes les diffusions")).to_have_count(1)
        assert await axe_violations(page) == []
        supervisor = await (await browser.new_context(locale="fr-FR")).new_page()
        await log_in(supervisor, base, "superviseur", PASSWORD, "/cell/situation")
        await expect(supervisor.locator("section[aria-labelledby=sit-alerts]")
                     .get_by_role("link", name="Toutes les diffusions")).to_have_count(0)
        await browser.close()
