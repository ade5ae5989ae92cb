"""The charts (pygal, monitoring/charts.py) and the map of France by département: clean SVG for
an HTML page under our CSP (no script, no inline style, nothing from the network, no XML
declaration), a text alternative each, the stylesheet current, every département on the map,
the last hour's signals per département in /api/situation, and in Debian's Chromium the
charts' and the map's accessible names and descriptions on /cell/situation and in a report
(with screenshots)."""

from __future__ import annotations

import datetime as dt
import re
import time
from importlib import resources
from typing import Any

import pytest
from playwright.async_api import async_playwright, expect

from channels.keys import ChannelKeys
from channels.service_levels import SLOT_S
from crisis.areas import DEPARTEMENTS
from crisis.context import Context
from crisis.settings import Settings
from crisis.types import Role
from crisis.web import charts as core_charts
from monitoring import charts
from monitoring.detection import BASELINE_WINDOWS, window_of
from monitoring.keys import WatchKeys
from monitoring.polls import Polls, parse_polls, poll_trends
from monitoring.watch_situation import signals_per_area
from monitoring.watchlist import Claim, Rumours
from tests.conftest import ADMIN, login
from tests.support.browser import axe_violations, drawn_box, launch_chromium, log_in

PASSWORD = "correct horse battery staple"
# Every chart brings ids (its own, its title's and description's): none may be there twice.
DUPLICATE_IDS = """(() => { const seen = new Set(), twice = [];
  for (const e of document.querySelectorAll("[id]")) { if (seen.has(e.id)) twice.push(e.id); seen.add(e.id); }
  return twice; })()"""
POLLS = """date,institute,question,answer,share,sample size,method
2026-11-06,Ifop,Avez-vous reçu la consigne ?,Oui,41,1000,en ligne
2026-11-06,Ifop,Avez-vous reçu la consigne ?,Non,57,1000,en ligne
2026-11-13,Elabe,Avez-vous reçu la consigne ?,Oui,55,600,téléphone
2026-11-13,Elabe,Avez-vous reçu la consigne ?,Non,43,600,téléphone
2026-11-27,Ifop,Avez-vous reçu la consigne ?,Oui,68,1000,en ligne
2026-11-27,Ifop,Avez-vous reçu la consigne ?,Non,30,1000,en ligne
"""


def _all_charts() -> list[str]:
    question = poll_trends(parse_polls(POLLS))[0]
    return [str(svg) for svg in (
        charts.bar_chart("c1", "Contacts par canal", [("SMS", 3), ("Téléphone", 9)]),
        charts.split_chart("c2", "Réponses", [("automatiques", 4), ("par un opérateur", 1)]),
        charts.sparkline("c3", "crue", [1, 2, 9], "fr"),
        charts.poll_chart("c4", question, "fr"),
        charts.departement_map("c5", "Signaux", [("13", 5), ("2A", 1)], "fr"))]


def test_every_chart_is_clean_svg_with_a_text_alternative() -> None:
    for index, svg in enumerate(_all_charts(), start=1):
        assert svg.startswith("<svg ") and "<?xml" not in svg
        assert "<script" not in svg and "style=" not in svg and "<style" not in svg
        without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)
        assert "//" not in re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", without_namespaces)
        assert f'role="img" aria-labelledby="c{index}-title" aria-describedby="c{index}-desc"' in svg
        assert svg.count("<title") == 1 and svg.count("<desc") == 1  # pygal's tooltips out
        assert f'id="c{index}"' in svg and "chart-cached" not in svg


def test_the_stylesheet_is_the_one_pygal_writes_for_our_style() -> None:
    shipped = (resources.files("crisis.web.shell") / "static" / "charts.css").read_text("utf-8")
    assert shipped == charts.charts_css(), \
        "run: python -m crisis.web.charts > crisis/web/shell/static/charts.css"
    assert ".pygal-chart .color-1" in shipped and "&gt;" not in shipped


def test_a_chart_is_drawn_once_per_data_and_named_per_place() -> None:
    core_charts.bars_svg.cache_clear()
    rows = [("SMS", 3), ("Téléphone", 9)]
    started = time.perf_counter()
    first = charts.bar_chart("chart-a", "Contacts", rows)
    drawn = time.perf_counter() - started
    started = time.perf_counter()
    second = charts.bar_chart("chart-b", "Contacts", rows)
    cached = time.perf_counter() - started
    assert core_charts.bars_svg.cache_info().hits == 1 and cached < drawn
    assert first.replace("chart-a", "chart-b") == second
    assert charts.bar_chart("chart-a", "Contacts", [("SMS", 4), ("Téléphone", 9)]) != first
    assert "Téléphone 9" in charts.bar_chart("x", "Contacts", rows)  # its description


def test_the_map_has_every_departement_and_shades_by_count() -> None:
    on_map = set(re.findall(r'class="z(\w+) departement', charts.MAP_SVG))
    assert set(DEPARTEMENTS) <= on_map and {"2A", "2B", "971", "972", "973", "974", "976"} <= on_map
    assert len(charts.MAP_SVG.encode()) < 40_000
    svg = str(charts.departement_map("m", "Signaux", [("13", 50), ("2A", 5), ("99", 7)], "fr"))
    assert re.search(r'class="z13 departement map-element[^"]* level-5"', svg)
    assert re.search(r'class="z2A departement map-element[^"]* level-1"', svg)
    assert not re.search(r'class="z33 departement map-element[^"]*level', svg)  # no signal
    assert "concernés : 13 Bouches-du-Rhône 50, 2A Corse-du-Sud 5</desc>" in svg  # not "99"
    assert charts.map_steps(50) == [(1, 1, 10), (2, 11, 20), (3, 21, 30), (4, 31, 40), (5, 41, 50)]
    assert charts.map_steps(2) == [(1, 1, 1), (3, 2, 2)]  # no empty step in the legend
    quiet = str(charts.departement_map("m", "Signaux", [], "fr"))
    assert "aucun signal localisé" in quiet and "No data" not in quiet
    assert quiet.count("departement map-element") == quiet.count("departement map-element\"") > 100


def test_signals_per_area_are_the_last_hour_and_only_departements() -> None:
    windows = [{"area:13": 100}] + [{"area:13": 1, "area:2A": 2, "area:zz": 5}] * 12
    assert signals_per_area(windows) == [
        {"code": "2A", "name": "Corse-du-Sud", "signals": 24},
        {"code": "13", "name": "Bouches-du-Rhône", "signals": 12}]


async def _watch(ctx: Context) -> None:
    """An hour of signals in four départements (more in the Gironde now), a trend, a rumour,
    polls."""
    keys = WatchKeys(ctx.keys)
    now = window_of(dt.datetime.now(dt.timezone.utc).timestamp())
    for offset in range(BASELINE_WINDOWS, 0, -1):
        await ctx.redis.hset(keys.counts(str(now - offset)), mapping={
            "all:all": 10, "source:rss": 10, "keyword:crue": 2, "area:33": 3, "area:2B": 1,
            "area:974": 1})
    await ctx.redis.hset(keys.counts(str(now)), mapping={
        "all:all": 40, "source:rss": 40, "keyword:crue": 14, "area:33": 24, "area:75": 4,
        "rumour:barrage": 4})
    await Rumours(ctx.redis, keys).put(Claim(id="barrage", claim="le barrage va céder"))
    await Polls(ctx.redis, keys).put(parse_polls(POLLS))


async def test_the_situation_api_gives_the_signals_per_departement(client: Any, ctx: Context) -> None:
    await _watch(ctx)
    await login(client, ctx, "chef", Role.CELL)
    body = await (await client.get("/api/situation")).json()
    assert body["watch"]["areas"] == [
        {"code": "33", "name": "Gironde", "signals": 57},  # 11 windows x 3 + 24 (the hour)
        {"code": "2B", "name": "Haute-Corse", "signals": 11},
        {"code": "974", "name": "La Réunion", "signals": 11},
        {"code": "75", "name": "Paris", "signals": 4}]
    # The fragment the wall screens refetch: the map in it, sent gzipped (~5 x smaller).
    fragment = await client.get("/cell/situation?fragment=1", headers={"Accept-Encoding": "gzip"})
    assert fragment.headers["Content-Encoding"] == "gzip"
    html = await fragment.text()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'id="map-signals"' in html
    assert int(fragment.headers["Content-Length"]) < len(html.encode()) / 3


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_reads_the_charts_and_the_map_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    from crisis.app import build_app
    await _watch(ctx)
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(8000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        slot = int(time.time() // SLOT_S)  # contacts of this quarter hour, not in the totals
        await ctx.redis.hset(ChannelKeys(ctx.keys).contacts_slot(slot), mapping={"sms": 3, "chat": 1})
        await log_in(page, base, "cellule", PASSWORD, "/cell/situation")
        over_time = page.get_by_role("img", name="Nouveaux contacts par quart d'heure, 12 dernières heures")
        await expect(over_time).to_have_accessible_description(
            "SMS 3 (dernière heure 3); Téléphone 0 (dernière heure 0); Chat web 1 (dernière heure 1); "
            "Telegram 0 (dernière heure 0); Courriel 0 (dernière heure 0)")
        await expect(over_time.locator("text", has_text="Chat web").first).to_be_visible()
        await over_time.screenshot(path="/tmp/screens/charts-contacts-over-time.png")
        contacts = page.get_by_role("img", name="Contacts par canal", exact=True)
        await expect(contacts).to_have_accessible_description(
            "SMS 0, Téléphone 0, Chat web 0, Telegram 0, Courriel 0")
        # pygal's own text is drawn and styled (charts.css loaded under the CSP): the labels
        # are visible and large enough for a wall screen.
        label = contacts.locator("text", has_text="Téléphone").first
        await expect(label).to_be_visible()
        assert float(await label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
        assert (await drawn_box(contacts))["width"] >= 500
        the_map = page.get_by_role("img", name="Signaux de la dernière heure par département")
        await expect(the_map).to_have_accessible_description(
            "Départements les plus concernés : 33 Gironde 57, 2B Haute-Corse 11, "
            "974 La Réunion 11, 75 Paris 4")
        gironde = the_map.locator(".z33 path").first
        assert await gironde.evaluate("e => getComputedStyle(e).fill") == "rgb(0, 0, 145)"
        assert await the_map.locator(".z13 path").first.evaluate(
            "e => getComputedStyle(e).fill") == "rgb(246, 246, 246)"
        table = page.get_by_role("table", name="Départements les plus concernés")
        await expect(table.get_by_role("row").nth(1)).to_have_text(re.compile(r"33 Gironde\s*57"))
        await expect(page.locator("#watch-map-figure figcaption")).to_contain_text("1–12")
        spark = page.get_by_role("img", name="crue", exact=True)
        await expect(spark).to_have_accessible_description(re.compile(r"^2, 2, .*, 14 \(signaux"))
        await expect(page.get_by_role("img", name="le barrage va céder")).to_have_count(1)
        poll = page.get_by_role("img", name="Évolution des réponses : Avez-vous reçu la consigne ?")
        await expect(poll).to_have_accessible_description(re.compile(
            r"^dernier sondage : Non 30\.0 % ± 2\.8 \(2026-11-27, Ifop\) ; Oui 68\.0 % ± 2\.9"))
        await expect(poll.locator("text", has_text="27/11")).to_be_visible()
        assert await poll.locator("g.ci").count() == 6
        for anchor, name in (("sit-channels", "situation"), ("sit-kb", "kb"), ("watch-map", "map"),
                             ("watch-trends", "trends"), ("watch-polls", "polls")):
            await page.evaluate(f"document.getElementById('{anchor}').scrollIntoView()")
            await page.screenshot(path=f"/tmp/screens/charts-{name}.png")
        assert await axe_violations(page) == []
        assert await page.evaluate(DUPLICATE_IDS) == []
        # Nothing blocked by the CSP (an inline style or script would be); Chromium's own
        # favicon request is the one 404 (the cell's pages link no icon).
        assert [e for e in errors if "404" not in e] == [], errors
        await page.goto(f"{base}/cell/situation?lang=en")
        await expect(page.get_by_role("img", name="Signals of the last hour by département")
                     ).to_have_accessible_description(re.compile(r"^Départements with the most: 33"))
        await expect(page.get_by_role("img", name="Answers over time: Avez-vous reçu la consigne ?")
                     .locator("text", has_text="11-27")).to_be_visible()
        # The report: the same charts and the map of the period.
        await page.goto(f"{base}/cell/situation")
        await page.get_by_role("button", name="Point de situation").click()
        await page.wait_for_url(re.compile(r"/cell/reports/\d{8}T\d{6}Z-[0-9a-f]{4}$"))
        report = page.locator("#report")
        await expect(report.get_by_role("img", name="Signaux de la période par département")
                     ).to_have_accessible_description(re.compile(r"^Départements les plus concernés : 33 Gironde 60"))
        await expect(report.get_by_role("img", name="Signaux reçus sur la période", exact=False)
                     ).to_have_accessible_description("rss 160")
        await expect(report.get_by_role(
            "img", name="Évolution des réponses : Avez-vous reçu la consigne ?")).to_have_count(1)
        await page.screenshot(path="/tmp/screens/charts-report.png", full_page=True)
        assert await axe_violations(page) == []
        assert await page.evaluate(DUPLICATE_IDS) == []

        await browser.close()
