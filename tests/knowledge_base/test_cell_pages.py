"""The cell's knowledge-base page over real HTTP: review with a diff, alternates, missing answers;
in Debian's Chromium: the cell validates proposed phrasings with the keyboard, and axe-core."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from knowledge_base import KnowledgeBase
from knowledge_base.article import Article
from knowledge_base.alternates import AlternateProposal, pending_alternates, propose_alternate
from knowledge_base.lifecycle import ArticleAction
from knowledge_base.store import ArticleStore
from tests.conftest import ADMIN, CELL, OPERATOR, login
from tests.support.browser import axe_violations, launch_chromium, log_in

SAND = Article(id="sacs-sable", question="Où trouver des sacs de sable ?", answer="À la mairie.")
SHELTER = Article(id="hebergement", question="Où dormir si ma maison est inondée ?", answer="Au gymnase.")
PASSWORD = "correct horse battery staple"


async def _published(store: ArticleStore, *articles: Article) -> None:
    for article in articles:
        await store.save_draft(article, actor=CELL)
        await store.move(article.id, ArticleAction.PUBLISH, actor=CELL)


async def _propose(store: ArticleStore, article_id: str, text: str, times: int = 1) -> AlternateProposal:
    proposal = await propose_alternate(store, article_id, text, actor=OPERATOR)
    for _ in range(times - 1):
        await propose_alternate(store, article_id, text, actor=OPERATOR)
    assert proposal is not None
    return proposal


async def test_the_cell_reviews_and_writes_from_missing_answers(
        client: Any, ctx: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    await store.save_draft(SAND, actor=OPERATOR)
    await store.move("sacs-sable", ArticleAction.PUBLISH, actor=CELL)
    await store.save_draft(Article(id="sacs-sable", question=SAND.question, answer="Au gymnase <b>Jean Moulin</b>."),
                           actor=OPERATOR)
    await store.move("sacs-sable", ArticleAction.SUBMIT, actor=OPERATOR)
    await knowledge.record_operator_answer("besoin de sacs de sable rue haute", "sacs-sable", OPERATOR)
    for question in ("la piscine est fermee ?", "piscine fermee"):
        await knowledge.answer_question(question, channel="sms")
    headers = await login(client, ctx, "chef", Role.CELL)
    html = await (await client.get("/cell/kb")).text()
    assert "-À la mairie." in html and "+Au gymnase &lt;b&gt;Jean Moulin&lt;/b&gt;." in html
    assert "besoin de sacs de sable rue haute" in html and "2 fois (sms 2)" in html
    proposal = (await pending_alternates(store))[0]
    accepted = await client.post(f"/cell/kb/alternates/{proposal.id}/accept", headers=headers,
                                 allow_redirects=False)
    assert accepted.status == 303
    published = await client.post("/cell/kb/articles/sacs-sable/publish", headers=headers, allow_redirects=False)
    assert published.status == 303
    live = await store.get_live("sacs-sable")
    assert live is not None and live.article.answer.startswith("Au gymnase")
    assert "besoin de sacs de sable rue haute" in live.article.alternates
    cluster = (await knowledge.missing_answers())[0]
    written = await client.post("/cell/kb/missing", headers=headers, allow_redirects=False, data={
        "id": "piscine-fermee", "question": "La piscine est-elle fermée ?", "answer": "Oui.",
        "alternates": "\n".join(cluster.questions), "members": "|".join(cluster.members)})
    assert written.status == 303
    assert (await store.get("piscine-fermee")).status == "draft"
    assert await knowledge.missing_answers() == []
    bad = await client.post("/cell/kb/missing", headers=headers, data={
        "id": "Pas Un Slug", "question": "q", "answer": "r", "alternates": "", "members": ""})
    assert bad.status == 400 and "invalid article id" in await bad.text()
    client.session.cookie_jar.clear()
    await login(client, ctx, "op", Role.OPERATOR)
    assert (await client.get("/cell/kb", headers={"Accept": "application/json"})).status == 403


async def test_the_cell_decides_ticked_phrasings_at_once_with_a_message(
        client: Any, ctx: Context, knowledge: KnowledgeBase) -> None:
    store = knowledge.store
    await _published(store, SAND, SHELTER)
    bags = await _propose(store, "sacs-sable", "sacs de sable ou ?", times=3)
    hall = await _propose(store, "sacs-sable", "distribution sacs sable mairie")
    sleep = await _propose(store, "hebergement", "dormir où inondé", times=2)
    other = await _propose(store, "hebergement", "logement d urgence")
    headers = await login(client, ctx, "chef", Role.CELL)
    html = await (await client.get("/cell/kb")).text()
    assert html.index("Où trouver des sacs de sable ?") < html.index("Où dormir si ma maison est inondée ?")
    assert "2 formulations · proposées 4 fois au total" in html and "proposée 3 fois</span>, d&#39;abord par test:operator-tester" in html
    assert 'value="Valider la sélection"' not in html and ">Valider la sélection</button>" in html
    # The sand article's "select all" box (its ids) and one ticked phrasing of the other article.
    done = await client.post("/cell/kb/alternates", headers=headers, allow_redirects=False, data=[
        ("all", f"{bags.id} {hall.id}"), ("ids", bags.id), ("ids", sleep.id), ("decision", "validate")])
    assert done.status == 303, await done.text()
    assert done.headers["Location"].startswith("/cell/kb?done=validated&phrasings=3&articles=2")
    page = await (await client.get(done.headers["Location"])).text()
    assert "3 formulations ajoutées à 2 articles." in page
    assert (await store.get("sacs-sable")).article.alternates == [bags.text, hall.text]
    assert (await store.get("hebergement")).article.alternates == [sleep.text]
    assert len(await store.history("sacs-sable")) == 3  # draft, published, one for both phrasings
    # A proposal decided meanwhile: nothing saved, told what to do; nothing ticked: said so.
    stale = await client.post("/cell/kb/alternates", headers=headers, data=[
        ("ids", other.id), ("ids", hall.id), ("decision", "reject")])
    text = unescape(await stale.text())
    assert stale.status == 400 and "Rien n'a été enregistré" in text and f"'{hall.id}'" in text
    assert [p.id for p in await pending_alternates(store)] == [other.id]
    empty = await client.post("/cell/kb/alternates?lang=en", headers=headers, data={"decision": "reject"})
    assert empty.status == 400 and "No phrasing ticked" in await empty.text()
    refused = await client.post("/cell/kb/alternates?lang=en", headers=headers, allow_redirects=False,
                                data=[("ids", other.id), ("decision", "reject")])
    assert refused.status == 303 and "lang=en" in refused.headers["Location"]
    assert "1 phrasing refused." in await (await client.get(refused.headers["Location"])).text()
    assert await pending_alternates(store) == []
    assert "logement d urgence" not in (await store.get("hebergement")).article.alternates


async def _tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus (the keyboard path a cell member takes)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached with Tab")


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_validates_two_phrasings_with_the_keyboard_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str,
        knowledge: KnowledgeBase) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    store = knowledge.store
    await _published(store, SAND, SHELTER)
    first = await _propose(store, "sacs-sable", "sacs de sable ou ?", times=2)
    second = await _propose(store, "sacs-sable", "distribution sacs sable mairie")
    kept = await _propose(store, "sacs-sable", "sable gratuit ?")
    sleep = await _propose(store, "hebergement", "dormir où inondé")
    problems: dict[str, list[dict[str, Any]]] = {}
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/kb")
        problems["/cell/kb"] = await axe_violations(page)
        # "Select all" ticks the article's phrasings and follows them (mixed when some are).
        await _tab_to(page, "all-hebergement")
        await page.keyboard.press("Space")
        await expect(page.locator(f"#p-{sleep.id}")).to_be_checked()
        await _tab_to(page, f"p-{sleep.id}")
        await page.keyboard.press("Space")
        await expect(page.locator("#all-hebergement")).not_to_be_checked()
        await page.keyboard.press("Shift+Tab")
        await expect(page.locator("#all-hebergement")).to_be_focused()
        # Back at the top: tick two phrasings of the sand article, then validate the selection.
        await page.goto(f"{base}/cell/kb")
        await _tab_to(page, f"p-{first.id}")
        await page.keyboard.press("Space")
        await _tab_to(page, f"p-{second.id}")
        await page.keyboard.press("Space")
        await expect(page.locator("#all-sacs-sable")).to_have_js_property("indeterminate", True)
        focus_ring = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert focus_ring == "solid", "the focused checkbox shows no focus ring"
        validate = page.get_by_role("button", name="Valider la sélection")
        await validate.evaluate("b => { b.id = 'validate-selection'; }")
        await _tab_to(page, "validate-selection")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base}/cell/kb?done=validated*")
        notice = page.get_by_role("status")
        await expect(notice).to_have_text("2 formulations ajoutées à 1 article.")
        await expect(notice).to_be_focused()
        problems["/cell/kb (after validating)"] = await axe_violations(page)
        # The shortcuts: j moves to the next box, a ticks the whole article, Alt+R refuses it.
        await page.goto(f"{base}/cell/kb")
        first_box = page.locator('.kb-alternates input[type="checkbox"]').first
        await page.keyboard.press("j")
        await expect(first_box).to_be_focused()
        await page.keyboard.press("j")  # the article's first phrasing
        await page.keyboard.press("a")
        await expect(page.locator(f"#p-{kept.id}")).to_be_checked()
        await page.keyboard.press("Alt+R")
        await page.wait_for_url(f"{base}/cell/kb?done=rejected*")
        await expect(page.get_by_role("status")).to_have_text("1 formulation refusée.")
        # Where a phrasing comes from, in words: a citizen's pick from a queue notice's menu
        # (channels' learning loop) is not an operator's name.
        picked = await knowledge.record_citizen_choice("on dort ou ce soir avec les petits ?",
                                                       "hebergement")
        assert picked is not None
        await page.goto(f"{base}/cell/kb")
        await expect(page.locator(f"label[for='p-{picked.id}']")).to_have_text(
            "on dort ou ce soir avec les petits ? proposée 1 fois, d'abord par un citoyen qui "
            "a choisi cet article dans le menu de la file d'attente")
        # On a small phone, with many proposals: no sideways scroll, and a checkbox reached with
        # Tab is never hidden under the decision buttons that stay at the bottom of the screen.
        more = [await _propose(store, "hebergement", f"ou dormir cette nuit quartier {n}") for n in range(12)]
        await page.set_viewport_size({"width": 320, "height": 480})
        await page.goto(f"{base}/cell/kb")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        for proposal in more[:8]:
            await _tab_to(page, f"p-{proposal.id}")
            box = await page.locator(f"#p-{proposal.id}").bounding_box()
            bar = await page.locator(".kb-alternates .actions").bounding_box()
            assert box is not None and bar is not None and box["y"] + box["height"] <= bar["y"], proposal.id
        await browser.close()
    alternates = (await store.get("sacs-sable")).article.alternates
    assert first.text in alternates and second.text in alternates and kept.text not in alternates
    assert {p.id for p in await pending_alternates(store)} == {sleep.id, picked.id,
                                                             *(p.id for p in more)}
    bad = {path: found for path, found in problems.items() if found}
    assert not bad, bad
