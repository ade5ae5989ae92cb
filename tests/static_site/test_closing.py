"""Closing a crisis on a real Redis: its instructions leave the home page, the feeds and the
lite pages in the same rebuild, become archived (API, cell), keep their pages with a "no
longer in force" banner, and each CAP alert gets its all-clear."""

from __future__ import annotations

import datetime as dt
import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from lxml import etree
from playwright.async_api import async_playwright

from crisis.activation import activate_scenario
from crisis.audit import read_audit
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.lifecycle import PublicationAction
from crisis.publication_file import PublicationDraft
from crisis.types import Crisis, CrisisState, PublicationStatus, Role
from knowledge_base import KnowledgeBase
from static_site.model import SiteConfig, SiteData
from static_site.service import run_build
from tests.conftest import CELL, bearer, login
from tests.static_site.conftest import NOW, demo_data, make_crisis
from tests.support.browser import axe_violations, launch_chromium

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "CAP-v1.2.xsd")))
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = "{http://www.w3.org/2005/Atom}"
SHELTER = "Mettez-vous à l'abri en hauteur"


async def _build(ctx: Context, trigger: str) -> Path:
    record = await run_build(ctx.redis, ctx.keys, SiteConfig.from_settings(ctx.settings),
                             ctx.settings.site_path, kb=KnowledgeBase.from_context(ctx), trigger=trigger)
    assert record.ok, record.error
    return ctx.settings.site_path


async def _activate_and_close(ctx: Context) -> tuple[Crisis, Crisis]:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75,92",
                                     level=2, actor=CELL, title="Crue de test")
    site = await _build(ctx, "crisis.activated")
    assert SHELTER in html.unescape((site / "index.html").read_text())  # in force before
    closed = await ctx.crises.close(crisis.id, actor=CELL, reason="décrue")
    await _build(ctx, "crisis.closed")
    return crisis, closed


def paris(at: dt.datetime | None, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    assert at is not None
    return at.astimezone(ZoneInfo("Europe/Paris")).strftime(fmt)


async def test_closing_archives_the_publications_with_an_audited_event_each(ctx: Context) -> None:
    crisis, closed = await _activate_and_close(ctx)
    own = [p for p in await ctx.publications.list() if p.crisis_id == crisis.id]
    assert own and all(p.status is PublicationStatus.ARCHIVED for p in own)
    assert all(p.archived_at == closed.closed_at for p in own)
    events = [e for e in await ctx.bus.read_all()]
    archived = [e for e in events if e.type == "publication.archived"]
    assert {e.subject for e in archived} == {p.id for p in own}
    assert all(e.reason == "décrue" and e.actor == CELL.label() for e in archived)
    # Every archive is written before the event that rebuilds the site.
    types = [e.type for e in events]
    assert max(i for i, t in enumerate(types) if t == "publication.archived") \
        < types.index("crisis.closed")
    audit = [a for a in await read_audit(ctx.redis, ctx.keys, 1000)
             if a.action == "publication.archive"]
    assert {a.target for a in audit} == {p.id for p in own}
    assert all(a.before == "v1 published" and a.after == "v1 archived" for a in audit)


async def test_after_the_close_the_home_feeds_and_lite_pages_hold_no_instruction(
        ctx: Context) -> None:
    crisis, _ = await _activate_and_close(ctx)
    site = ctx.settings.site_path
    for lang in ("", "en/"):
        home = (site / f"{lang}index.html").read_text()
        assert "Crue de test" not in home and crisis.id not in home
        assert 'class="pub' not in home and "Urgent" not in home
        atom = etree.parse(str(site / f"{lang}feed.xml")).getroot()
        assert atom.findall(f"{ATOM}entry") == []
        assert json.loads((site / f"{lang}feed.json").read_text())["items"] == []
        lite = (site / f"{lang}lite/index.txt").read_text()
        assert "==" not in lite and crisis.id not in lite
        assert crisis.id not in (site / f"{lang}lite/index.html").read_text()
    assert "Aucune crise en cours" in (site / "index.html").read_text()
    assert crisis.id not in (site / "sitemap-main.xml").read_text()  # archive pages: noindex
    assert json.loads((site / "status.json").read_text())["crises"] == []


async def test_the_crisis_and_publication_pages_stay_with_a_banner(client: Any, ctx: Context) -> None:
    crisis, closed = await _activate_and_close(ctx)
    pub_id = f"{crisis.id}-montez-en-hauteur"
    banner_fr = f"Crise terminée le {paris(closed.closed_at)} — ces consignes ne sont plus en vigueur."
    banner_en = (f"Crisis ended on {paris(closed.closed_at, '%-d %b %Y, %H:%M')} (Paris time) — "
                 "these instructions are no longer in force.")
    for path, banner in ((f"/crises/{crisis.id}/", banner_fr), (f"/publications/{pub_id}/", banner_fr),
                         (f"/en/crises/{crisis.id}/", banner_en),
                         (f"/en/publications/{pub_id}-en/", banner_en)):
        response = await client.get(path)
        assert response.status == 200, path
        text = html.unescape(await response.text())
        assert banner in text.replace("<strong>", "").replace("</strong>", ""), path
        assert '<meta name="robots" content="noindex">' in text
        assert 'class="pub archived"' in text and '<span class="tag">Urgent' not in text
    lite = await client.get(f"/lite/crises/{crisis.id}.txt")
    text = await lite.text()
    assert lite.status == 200 and f"Crise terminée le {paris(closed.closed_at)}" in text
    assert SHELTER not in text


async def test_each_cap_alert_gets_a_valid_all_clear(ctx: Context) -> None:
    crisis, closed = await _activate_and_close(ctx)
    site = ctx.settings.site_path
    own = [p for p in await ctx.publications.list() if p.crisis_id == crisis.id]
    for pub in own:
        document = etree.parse(str(site / "cap" / f"{pub.id}.xml"))
        assert SCHEMA.validate(document), (pub.id, SCHEMA.error_log)
        alert = document.getroot()
        alert_id = alert.findtext("cap:identifier", namespaces=CAP) or ""
        assert alert.findtext("cap:msgType", namespaces=CAP) == "Update"
        assert alert.findtext("cap:info/cap:responseType", namespaces=CAP) == "AllClear"
        assert alert.findtext("cap:info/cap:urgency", namespaces=CAP) == "Past"
        assert closed.closed_at is not None and pub.published_at is not None
        assert alert.findtext("cap:sent", namespaces=CAP) == \
            closed.closed_at.replace(microsecond=0).isoformat()
        # It references the alert it ends: sender, identifier and sent of that message.
        sender, ref_id, ref_sent = (alert.findtext("cap:references", namespaces=CAP) or "").split(",")
        assert ref_id == f"{alert_id.removesuffix('.fin')}" and ref_id.endswith(f"{pub.id}.v1")
        assert sender == alert.findtext("cap:sender", namespaces=CAP)
        assert ref_sent == pub.published_at.replace(microsecond=0).isoformat()
    index = etree.parse(str(site / "cap" / "index.xml")).getroot()
    titles = [e.findtext(f"{ATOM}title") or "" for e in index.iter(f"{ATOM}entry")]
    assert len(titles) == len(own) and all(t.startswith("Fin d'alerte : ") for t in titles)


async def test_the_api_and_the_cell_show_the_archived_state(client: Any, ctx: Context) -> None:
    crisis, closed = await _activate_and_close(ctx)
    pub_id = f"{crisis.id}-montez-en-hauteur"
    headers = await bearer(ctx, "script", Role.OPERATOR)
    listed = await (await client.get("/api/publications", headers=headers)).json()
    own = [p for p in listed["items"] if p["crisis_id"] == crisis.id]
    assert own and {p["status"] for p in own} == {"archived"}
    assert closed.closed_at is not None
    assert {dt.datetime.fromisoformat(p["archived_at"]) for p in own} == {closed.closed_at}
    one = await (await client.get(f"/api/publications/{pub_id}", headers=headers)).json()
    assert [v["status"] for v in one["history"]][-2:] == ["published", "archived"]
    await login(client, ctx, "cellule", Role.CELL)
    detail = await (await client.get(f"/cell/publications/{pub_id}")).text()
    assert 'data-status="archived">archivée (crise terminée)</dd>' in detail
    assert f"Archivée le {paris(closed.closed_at)}" in detail.replace("</dt><dd id=\"archived-at\">", " ")
    english = await (await client.get("/cell/publications?lang=en")).text()
    assert "archived (crisis closed)" in english


async def test_withdrawing_an_archived_publication_takes_its_page_offline(
        client: Any, ctx: Context) -> None:
    crisis, _ = await _activate_and_close(ctx)
    pub_id = f"{crisis.id}-montez-en-hauteur"
    await ctx.publications.move(pub_id, PublicationAction.WITHDRAW, actor=CELL, reason="erreur")
    await _build(ctx, "publication.withdrawn")
    assert (await client.get(f"/publications/{pub_id}/")).status == 404
    assert (await client.get(f"/crises/{crisis.id}/")).status == 200


async def test_no_new_text_can_be_drafted_into_a_closed_crisis(ctx: Context) -> None:
    crisis, _ = await _activate_and_close(ctx)
    late = PublicationDraft(id="trop-tard", title="Trop tard", body="Texte.", crisis_id=crisis.id)
    with pytest.raises(InvalidInput, match="is closed: its publications are archived"):
        await ctx.publications.save_draft(late, actor=CELL)
    general = msgspec.structs.replace(late, crisis_id=None)
    assert (await ctx.publications.save_draft(general, actor=CELL)).status is PublicationStatus.DRAFT


async def test_de_escalating_keeps_the_instructions_in_force(ctx: Context) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75",
                                     level=2, actor=CELL)
    await ctx.crises.de_escalate(crisis.id, actor=CELL, reason="décrue amorcée")
    site = await _build(ctx, "crisis.de_escalating")
    home = html.unescape((site / "index.html").read_text())
    assert SHELTER in home and "en cours de levée" in home
    assert {p.status for p in await ctx.publications.list()} == {PublicationStatus.PUBLISHED}


def test_a_text_still_published_in_a_closed_crisis_is_shown_as_archived() -> None:
    # A crisis closed before archiving existed (or a draft pending on top of the published
    # text) leaves publications marked published: the crisis's state decides.
    before = demo_data()
    closed = make_crisis(state=CrisisState.CLOSED, closed_at=NOW, version=2)
    data = SiteData.clean([closed], before.publications, before.articles, NOW)
    assert data.crises == () and data.publications == ()
    assert data.closed_crises == (closed,) and len(data.archived) == len(before.publications)
    assert all(data.ended_at(p) == NOW for p in data.archived)
    # A crisis cancelled before it was ever activated has no public page at all.
    cancelled = make_crisis(state=CrisisState.CLOSED, activated_at=None, closed_at=NOW)
    assert SiteData.clean([cancelled], [], [], NOW).closed_crises == ()
    # An archived publication stays archived whatever its crisis.
    archived = msgspec.structs.replace(before.publications[0], status=PublicationStatus.ARCHIVED)
    assert SiteData.clean(before.crises, [archived], [], NOW).archived == (archived,)


def test_crisis_close_on_the_command_line_then_a_build_shows_the_closing(
        env: dict[str, str], tmp_path: Path) -> None:
    def crisis(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "crisis", *args], capture_output=True,
                              text=True, timeout=60, cwd=tmp_path,
                              env={**env, "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    crisis_id = crisis("activate", "inondation", "--area", "75", "--level", "2")
    crisis("close", crisis_id, "--reason", "fin de crue")
    crisis("site", "build")
    site = Path(env["CRISIS_DATA_DIR"]) / "site"
    home = html.unescape((site / "index.html").read_text())
    assert SHELTER not in home and crisis_id not in home
    page = html.unescape((site / "publications" / f"{crisis_id}-montez-en-hauteur" / "index.html")
                         .read_text())
    assert "Crise terminée le" in page and SHELTER in page
    cap = etree.parse(str(site / "cap" / f"{crisis_id}-montez-en-hauteur.xml"))
    assert SCHEMA.validate(cap) and cap.findtext("cap:msgType", namespaces=CAP) == "Update"


@pytest.mark.browser
async def test_the_banner_reads_in_chromium_on_a_closed_crisis_and_its_publication(
        client: Any, ctx: Context, tmp_path: Path) -> None:
    crisis, closed = await _activate_and_close(ctx)
    base = str(client.make_url("")).rstrip("/")
    pub_id = f"{crisis.id}-montez-en-hauteur"
    problems = {}
    async with async_playwright() as p:
        browser = await launch_chromium(p)
        page = await browser.new_page()
        for path, expected, link in (
                (f"/crises/{crisis.id}/",
                 f"Crise terminée le {paris(closed.closed_at)} — ces consignes ne sont plus "
                 "en vigueur.\n\nVoir la situation actuelle", "/"),
                (f"/publications/{pub_id}/",
                 f"Crise terminée le {paris(closed.closed_at)} — ces consignes ne sont plus "
                 "en vigueur.\n\nVoir la situation actuelle", "/"),
                (f"/en/publications/{pub_id}-en/",
                 f"Crisis ended on {paris(closed.closed_at, '%-d %b %Y, %H:%M')} (Paris time) — "
                 "these instructions are no longer in force.\n\nSee the current situation", "/en/")):
            response = await page.goto(base + path)
            assert response is not None and response.status == 200
            assert (await page.inner_text("#fin")).strip() == expected
            assert await page.locator("#fin a").get_attribute("href") == link
            assert "Urgent" not in await page.inner_text("main")
            problems[path] = await axe_violations(page)
            name = path.strip("/").replace("/", "_")
            await page.screenshot(path=str(tmp_path / f"closed-{name}.png"), full_page=True)
        # The link leads to the current situation: the home page, without the old instructions.
        await page.goto(f"{base}/crises/{crisis.id}/")
        await page.click("#fin a")
        await page.wait_for_url(f"{base}/")
        home = await page.inner_text("main")
        assert "Aucune crise en cours" in home and SHELTER not in home and "Urgent" not in home
        await page.screenshot(path=str(tmp_path / "home-after-close.png"), full_page=True)
        await browser.close()
    assert not any(problems.values()), problems
