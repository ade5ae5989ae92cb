"""The cell's alert pages in Debian's Chromium, read as a cell member reads them: the
publication form's alert block (SMS count, who gets it and how long it takes, with
subscribers seeded), the publication's page pointing to its broadcast, the broadcasts page
during and after a broadcast (live, without reloading), stopping one with the keyboard, and
the page in English; axe finds nothing serious. Screenshots in /tmp/screens/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from crisis.alert_texts import STOP_HINT
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.publication_file import parse_publication
from crisis.settings import Settings
from crisis.types import Role
from tests.channels.test_alert_cell_pages import NOTICE, seed_broadcast, seed_subscribers
from tests.conftest import ADMIN, CELL
from tests.support.browser import axe_violations, launch_chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
SCREENS = Path("/tmp/screens")


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    # Plain http: the session cookie is not https-only, so the browser keeps it on loopback.
    return {**env, "CRISIS_PUBLIC_URL": "http://crisis.example.gouv.fr"}


async def _serve(aiohttp_server: Any, settings: Settings, redis_url: str, ctx: Context) -> str:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    SCREENS.mkdir(exist_ok=True)
    return str(server.make_url("")).rstrip("/")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


async def test_the_form_counts_the_sms_and_previews_who_gets_the_alert(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    base = await _serve(aiohttp_server, settings, redis_url, ctx)
    await seed_subscribers(ctx)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/publications")
        await page.fill("#title", "Évacuation des quais de Seine")
        await page.fill("#body", "Les quais de Seine sont évacués avant 18 h.")
        await page.fill("#areas", "75, 92")
        count = page.locator("#sms-count")
        await expect(count).to_contain_text("Vide : le titre sera envoyé.")
        await page.fill("#sms", "Évacuez les quais de Seine avant 18 h.")
        # What the subscriber will get: the sentence, the link, how to stop (sending.py).
        alert = (f"Évacuez les quais de Seine avant 18 h. {settings.base_url}/publications/"
                 f"evacuation-des-quais-de-seine/ {STOP_HINT['sms']['fr']}")
        assert _words(await count.inner_text()) == (
            f"38 caractères : 1 SMS (GSM-7) Avec le lien et la mention STOP : {len(alert)} "
            "caractères, 1 SMS.")
        await page.fill("#sms", "Évacuez les quais de Seine avant 18 h, pas de cœur à l'ouvrage.")
        await expect(count).to_contain_text("« œ » n'est pas dans l'alphabet SMS")
        assert "(UCS-2)" in await count.inner_text()
        await page.fill("#sms", "Évacuez les quais de Seine avant 18 h.")
        preview = page.locator("#push-preview")
        await expect(preview).to_be_hidden()
        await page.locator("#push").focus()
        await page.keyboard.press("Space")  # keyboard first
        await expect(preview).to_be_visible()
        await expect(preview).to_contain_text("envoi estimé")
        assert _words(await preview.inner_text()) == (
            "12 431 abonnés par SMS, 3 210 par Telegram ; envoi estimé : 25 min 54 s")
        await page.fill("#areas", "13")
        await expect(preview).to_have_text("1 abonné par e-mail ; envoi estimé : 0 s")
        await page.fill("#areas", "99")
        await expect(preview).to_contain_text("Départements à corriger")
        await page.fill("#areas", "75, 92")
        await expect(preview).to_contain_text("12\u202f431 abonnés par SMS")
        assert await axe_violations(page) == []
        await page.locator("#push-block").screenshot(path=str(SCREENS / "publication-form-push.png"))
        await page.get_by_role("button", name="Enregistrer le brouillon").click()
        await page.wait_for_url(re.compile(r"/cell/publications/evacuation-des-quais-de-seine$"))
        await expect(page.locator("#push-status")).to_have_text(
            "Sera diffusée aux abonnés dès sa publication.")
        await expect(page.locator("#short-message")).to_have_text(
            "Évacuez les quais de Seine avant 18 h.")
        await page.get_by_role("button", name="Publier").click()
        await expect(page.locator("#push-status")).to_contain_text("Diffusée aux abonnés")
        await page.screenshot(path=str(SCREENS / "publication-detail-pushed.png"), full_page=True)
        await page.locator("#see-broadcast").click()
        await page.wait_for_url(re.compile(r"/cell/broadcasts\?publication="))
        # The app's own consumer made the broadcast (no worker here: it stays preparing).
        await expect(page.locator("article.broadcast .state")).to_have_text(
            "Préparation des destinataires", timeout=10000)
        await browser.close()


async def test_the_broadcasts_page_live_stopped_with_the_keyboard_and_in_english(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    base = await _serve(aiohttp_server, settings, redis_url, ctx)
    await seed_subscribers(ctx)
    publication = await ctx.publications.publish_document(
        parse_publication(NOTICE.replace("area: [75, 92]", "area: [75, 92]\npush: false")),
        actor=CELL)
    _, broadcast_id = await seed_broadcast(ctx, publication)
    record = ChannelKeys(ctx.keys).broadcast(broadcast_id)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/broadcasts")
        item = page.locator(f"article#{broadcast_id}")
        await expect(item.locator(".state")).to_have_text("Envoi en cours")
        assert _words(await item.locator(".bc-state").inner_text()) == (
            "Envoi en cours · 9 226 traités sur 15 640 (59 %) · Fin estimée dans 13 min 22 s")
        sms_row = item.locator("tr[data-channel=sms]")
        assert _words(await sms_row.inner_text()) == "SMS 48 % 12 430 6 000 12 4 6 414"
        await expect(page.locator("#subscribers-table tbody tr").first).to_contain_text("75 Paris")
        assert await axe_violations(page) == []
        await page.screenshot(path=str(SCREENS / "broadcasts-sending.png"), full_page=True)

        # The worker sends more: the page shows it within a refresh, without reloading.
        await page.evaluate("window.notReloaded = true")
        await ctx.redis.hset(record, mapping={"sent:sms": 10000})
        await expect(sms_row.locator("td.sent")).to_have_text("10\u202f000", timeout=6000)
        await expect(sms_row.locator("td.remaining")).to_have_text("2\u202f414")
        assert await page.evaluate("window.notReloaded === true")

        # Keyboard: j chooses the broadcast, x asks to stop it, Enter confirms.
        await page.locator("body").click(position={"x": 5, "y": 5})
        await page.keyboard.press("j")
        await expect(item).to_be_focused()
        await page.keyboard.press("x")
        await expect(page.locator("h1")).to_have_text("Arrêter la diffusion ?")
        await expect(page.locator("#confirm-what")).to_contain_text("2\u202f414 destinataires restants")
        assert await axe_violations(page) == []
        await page.screenshot(path=str(SCREENS / "broadcast-stop-confirm.png"), full_page=True)
        await expect(page.locator("#confirm-stop")).to_be_focused()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base}/cell/broadcasts")
        await expect(item.locator(".state")).to_have_text("Arrêtée")
        await expect(item.get_by_role("button", name="Arrêter la diffusion")).to_have_count(0)
        assert "Fin estimée" not in await item.inner_text()
        await page.screenshot(path=str(SCREENS / "broadcasts-stopped.png"), full_page=True)

        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Alert broadcasts")
        assert _words(await item.locator(".bc-state").inner_text()) == (
            "Stopped · 13,226 handled out of 15,640 (85%)")
        await expect(page.locator("#subscribers-caption")).to_have_text(
            "Subscribers per area and channel")
        await expect(page.locator(".menu [aria-current]")).to_have_text("Alert broadcasts")
        assert await axe_violations(page) == []
        await page.screenshot(path=str(SCREENS / "broadcasts-english.png"), full_page=True)
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.reload()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await browser.close()
