"""The pulse pages in Debian's Chromium, read as a cell member reads them: the form sent
with the keyboard (a bad sample size first: the reasons, focused), the results page filling
in live as answers arrive (pygal's bar chart with error bars, its text alternative giving
every figure, the table with shares and margins), the block in the situation view, closing,
the page in English; axe finds nothing serious, the CSP blocks nothing. Screenshots in
/tmp/screens/pulse-*.png and sharedcharts-pulse.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from channels.alerts.pulses import Pulses
from channels.alerts.subscriptions import Subscriptions
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from tests.conftest import ADMIN
from tests.support.browser import axe_violations, drawn_box, launch_chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
SCREENS = Path("/tmp/screens")


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    # Plain http: the session cookie is not https-only, so the browser keeps it on loopback.
    return {**env, "CRISIS_PUBLIC_URL": "http://crisis.example.gouv.fr"}


def _comma(fraction: float) -> str:
    return f"{fraction * 100:.1f}".replace(".", ",")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


async def test_the_cell_sends_a_pulse_and_follows_its_answers(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    from crisis.app import build_app
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    SCREENS.mkdir(exist_ok=True)
    keys = ChannelKeys(ctx.keys)
    subscriptions = Subscriptions(ctx.redis, keys, ctx.secret)
    for n in range(30):
        await subscriptions.subscribe("sms", f"+336100000{n:02d}", ("75",), source="test")
    for n in range(10):
        await subscriptions.subscribe("telegram", str(7000 + n), ("75",), source="test")
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await log_in(page, base, "cellule", PASSWORD, "/cell/pulses")
        await expect(page.locator("h1")).to_have_text("Sondages éclair")
        assert "Aucun sondage pour l'instant." in await page.inner_text("main")
        await page.keyboard.type("Avez-vous reçu la consigne d'évacuation ?")  # autofocused
        await page.fill("#areas", "75")
        await page.fill("#sample_size", "0")
        await page.locator("#pulse-form").screenshot(path=str(SCREENS / "pulse-form.png"))
        await page.locator("#send-pulse").focus()
        await page.keyboard.press("Enter")
        problems = page.locator("#pu-problems")
        await expect(problems).to_be_focused()
        assert _words(await problems.inner_text()) == (
            "Le sondage n'est pas parti : la taille de l'échantillon est un nombre entier "
            "de 1 à 100 000.")
        # What was typed is kept: only the sample size needs fixing.
        assert await page.input_value("#question") == "Avez-vous reçu la consigne d'évacuation ?"
        await page.screenshot(path=str(SCREENS / "pulse-errors.png"), full_page=True)
        assert await axe_violations(page) == []
        await page.fill("#sample_size", "12")
        await page.locator("#send-pulse").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Avez-vous reçu la consigne d'évacuation ?")
        live = page.locator("#pulse-live")
        await expect(live).to_contain_text("Aucune réponse pour l'instant.")
        assert "12 tirés sur 40 abonnés (demandés : 12)" in _words(await live.inner_text())

        # Answers arrive (the desk's counting), and the worker's sends: the page follows.
        pulses = Pulses(ctx.redis, keys)
        [pulse_id] = await pulses.recent()
        sampled = [(c, str(m)) for c in ("sms", "telegram")
                   for m in await ctx.redis.smembers(keys.pulse_sample(pulse_id, c))]
        for index, (channel, citizen) in enumerate(sampled[:9]):
            await pulses.record_answer(pulse_id, channel, citizen, 1 if index < 6 else 2)
        await ctx.redis.hset(keys.broadcast(f"b-{pulse_id}"), mapping={
            f"sent:{c}": len(await ctx.redis.smembers(keys.pulse_sample(pulse_id, c)))
            for c in ("sms", "telegram")})
        await expect(live).to_contain_text("9 réponses, taux de réponse 75,0 %")
        results = await pulses.results(pulse_id)
        yes = results["options"][0]
        margin = f"{yes['margin'] * 100:.1f}".replace(".", ",")
        rows = [_words(r) for r in await page.locator("#pu-table tbody tr").all_inner_texts()]
        low = f"{(yes['share'] - yes['margin']) * 100:.1f}".replace(".", ",")
        high = f"{(yes['share'] + yes['margin']) * 100:.1f}".replace(".", ",")
        assert rows[0] == f"1. oui 6 66,7 % ± {margin} % {low} % – {high} %"
        assert rows[1].startswith("2. non 3 33,3 % ±")
        # The chart (pygal's, styled by /cell/static/charts.css under the CSP): its text
        # alternative gives every figure, its bars and error bars are drawn, its labels shown.
        no = results["options"][1]
        chart = page.get_by_role(
            "img", name="Part de chaque réponse, avec sa marge d'erreur à 95 %", exact=True)
        await expect(chart).to_have_accessible_description(
            f"1. oui : 66,7\u202f% ± {margin}\u202f% (6 réponses) ; "
            f"2. non : 33,3\u202f% ± {_comma(no['margin'])}\u202f% (3 réponses)")
        await expect(chart.locator("text", has_text="1. oui : 66,7")).to_be_visible()
        assert await chart.locator("rect.rect").count() == 2
        assert await chart.locator("g.ci path").count() == 2
        bar = await drawn_box(chart.locator("rect.rect").first)
        assert bar["width"] > 50 and bar["height"] > 20
        assert await chart.locator("g.ci path").first.evaluate(
            "e => getComputedStyle(e).strokeWidth") == "3px"
        assert await axe_violations(page) == []
        await page.screenshot(path=str(SCREENS / "pulse-results.png"), full_page=True)
        await page.evaluate("document.getElementById('pu-results').scrollIntoView()")
        await page.screenshot(path=str(SCREENS / "sharedcharts-pulse.png"))

        await page.goto(f"{base}/cell/situation")
        block = page.locator("#sit-pulses-block")
        await expect(block).to_contain_text("Sondages éclair")
        text = _words(await block.inner_text())
        assert "ouvert · 9 réponses pour 12 envois (taux 75,0 %)" in text
        assert f"1. oui : 66,7 % ± {margin} %" in text
        # The situation view swaps its figures in every few seconds: the block's place, taken
        # in one step, not the element (which may be replaced during the screenshot).
        box = await page.evaluate("""(() => { const block = document.getElementById(
            "sit-pulses-block"); block.scrollIntoView(); const r = block.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height}; })()""")
        await page.screenshot(path=str(SCREENS / "pulse-situation.png"), clip=box)

        await page.goto(f"{base}/cell/pulses/{pulse_id}")
        await page.locator("#close-pulse").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("#pu-state")).to_have_text("Clos")
        await expect(page.locator("#close-pulse")).to_have_count(0)
        await page.goto(f"{base}/cell/pulses?lang=en")
        table = _words(await page.locator("#pulses-table").inner_text())
        assert "Avez-vous reçu la consigne d'évacuation ? Closed 12 / 12 9 75.0 %" in table
        await page.screenshot(path=str(SCREENS / "pulse-list-en.png"), full_page=True)
        await page.goto(f"{base}/cell/pulses/{pulse_id}?lang=en")
        chart = page.get_by_role(
            "img", name="Share of each answer, with its 95 % margin of error", exact=True)
        await expect(chart).to_have_accessible_description(re.compile(
            r"^1\. oui: 66\.7\s% ± [\d.]+\s% \(6 answers\); 2\. non: 33\.3"))
        await expect(chart.locator("text", has_text="1. oui: 66.7")).to_be_visible()
        # Nothing blocked by the CSP (an inline style or script would be); the form's bad
        # sample size answered 400 and Chromium asks for a favicon: those are the only errors.
        assert [e for e in errors if "400" not in e and "404" not in e] == [], errors
        await browser.close()
