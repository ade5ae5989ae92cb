"""The situation report ("point de situation"): `crisis report` writes every section (crises,
contact centre, trends, rumours, polls, publications of the period) in Markdown and HTML;
the cell's button writes one, archives it, and Chromium reads its visible text."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from pypdf import PdfReader

from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.errors import Unavailable
from crisis.settings import Settings
from monitoring.detection import window_of
from monitoring.keys import WatchKeys
from monitoring.polls import Polls, parse_polls
from monitoring.report_pdf import report_pdf
from monitoring.situation_report import period_of
from monitoring.watchlist import Claim, Rumours
from tests.conftest import CELL
from tests.support.browser import axe_violations, signed_in_page

POLLS = """date,institute,question,answer,share,sample size,method
2026-11-20,Ifop,Faites-vous confiance aux consignes ?,Oui,52,1000,en ligne
2026-11-27,Elabe,Faites-vous confiance aux consignes ?,Oui,60,1000,téléphone
"""


async def _situation(ctx: Context) -> None:
    """A live crisis (its first instructions published now), a poll, a rumour, signals."""
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["44"], level=2,
                            actor=CELL, title="Crue de la Loire")
    keys = WatchKeys(ctx.keys)
    await Polls(ctx.redis, keys).put(parse_polls(POLLS))
    await Rumours(ctx.redis, keys).put(Claim(id="barrage", claim="le barrage va céder"))
    now = window_of(dt.datetime.now(dt.UTC).timestamp())
    await ctx.redis.hset(keys.counts(str(now - 1)), mapping={"all:all": 30, "source:rss": 30,
                                                             "area:44": 30})
    await ctx.redis.hset(keys.counts(str(now)), mapping={"all:all": 12, "source:contact": 12})
    await ctx.redis.hset(keys.counts(str(now - 400)), mapping={"all:all": 999})  # days ago


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crisis", *args],
                          env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)


def pdf_text_of(pdf: bytes) -> str:
    """The text a reader of the PDF sees, page after page (lines joined)."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def test_the_command_writes_every_section_of_the_period(
        env: dict[str, str], ctx: Context, tmp_path: Path) -> None:
    await _situation(ctx)
    result = run(env, "report", "--from", "24h")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    headings = re.findall(r"^##? .*$", text, flags=re.M)
    assert headings == ["# Point de situation", "## Crises en cours", "## Centre de contact",
                        "## Veille : signaux et tendances", "## Rumeurs surveillées",
                        "## Sondages", "## Publications de la période"]
    assert "- Crue de la Loire · niveau 2 · 44" in text
    assert "- Contacts (depuis le début) : 0" in text
    assert "- Signaux reçus sur la période : 42" in text and "  - rss : 30" in text
    assert "- « le barrage va céder » : 0" in text
    assert ("  - Oui : 60.0 % ± 3.0 (2026-11-27, Elabe, +8.0 pts, au-delà de la marge)"
            in text)
    publications = text.split("## Publications de la période")[1]
    assert "aucune publication" not in publications and " · " in publications
    earlier = run(env, "report", "--from", "2026-01-01", "--to", "2026-01-02")
    assert "aucune publication sur la période" in earlier.stdout
    assert "- Signaux reçus sur la période : 0" in earlier.stdout
    html = run(env, "report", "--format", "html", "--lang", "en").stdout
    assert html.startswith("<!doctype html>") and "@media print" in html
    assert '<h2 id="rep-polls">Polls</h2>' in html and "Crue de la Loire" in html
    # Its charts (pygal's SVG, their stylesheet inlined) with their text alternatives.
    assert '<title id="rep-map-title">Signals of the period by département</title>' in html
    assert "Départements with the most: 44 Loire-Atlantique 30</desc>" in html
    assert '<title id="rep-poll-1-title">Answers over time: Faites-vous confiance' in html
    assert ".pygal-chart .map-element.level-5 path" in html and "<script" not in html
    assert "- Départements les plus concernés : 44 Loire-Atlantique 30" in text
    pdf_path = tmp_path / "point.pdf"
    written = run(env, "report", "--format", "pdf", "--out", str(pdf_path))
    assert written.returncode == 0, written.stderr
    assert "situation report written to" in written.stderr + written.stdout
    pdf_text = pdf_text_of(pdf_path.read_bytes())
    for expected in ("Point de situation", "Crue de la Loire", "le barrage va céder", "Sondages"):
        assert expected in pdf_text, pdf_text
    reversed_period = run(env, "report", "--from", "1h", "--to", "2h")
    assert reversed_period.returncode == 1 and "the period is empty" in reversed_period.stderr


def test_the_default_period_is_the_last_day() -> None:
    now = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
    assert period_of(None, None, now=now) == (now - dt.timedelta(hours=24), now)


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_writes_reads_and_finds_a_report_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    await _situation(ctx)
    async with signed_in_page(aiohttp_server, ctx, settings, redis_url, "/cell/situation",
                              timeout_ms=8000) as (page, base):
        await page.get_by_role("button", name="Point de situation").click()
        await page.wait_for_url(re.compile(r"/cell/reports/\d{8}T\d{6}Z-[0-9a-f]{4}$"))
        report = page.locator("#report")
        await expect(report.get_by_role("heading", level=1)).to_have_text("Point de situation")
        text = await report.inner_text()
        for expected in ("Crue de la Loire · niveau 2 · 44", "Signaux reçus sur la période : 42",
                         "« le barrage va céder » : 0",
                         "Oui : 60.0 % ± 3.0 (2026-11-27, Elabe, +8.0 pts, au-delà de la marge)",
                         "(cellule)"):
            assert expected in text, text
        assert "aucune publication sur la période" not in text
        await page.screenshot(path="/tmp/screens/situation-report.png", full_page=True)
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Télécharger en PDF").click()
        download = await download_info.value
        assert re.fullmatch(r"point-de-situation-\d{8}T\d{6}Z\.pdf", download.suggested_filename)
        saved = Path("/tmp/screens/situation-report.pdf")
        await download.save_as(saved)  # the browser's own copy: path() is not served remotely
        pdf_text = pdf_text_of(saved.read_bytes())
        assert "Point de situation" in pdf_text and "Crue de la Loire" in pdf_text, pdf_text
        await page.emulate_media(media="print")
        await expect(page.locator("nav.menu")).to_be_hidden()
        await expect(report).to_be_visible()
        await page.emulate_media(media="screen")
        assert await axe_violations(page) == []
        await page.goto(f"{base}/cell/reports")
        await expect(page.locator("#report-list tbody tr")).to_have_count(1)
        assert await axe_violations(page) == []


def test_without_weasyprint_the_pdf_alone_is_refused_saying_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if Pango or the package were absent
    with pytest.raises(Unavailable) as refused:
        report_pdf({"id": "x"}, "fr")
    assert "apt-get install libpango" in refused.value.message
    assert refused.value.http_status == 501 and "--format html" in refused.value.message


def test_the_report_names_what_spiked_and_where_a_term_trends_in_words() -> None:
    """The counters' own names (area, all, source:rss) never reach the cell's briefing."""
    from monitoring.report_render import report_html, report_markdown
    report = {"from": "2026-12-02T10:00:00+00:00", "to": "2026-12-03T10:00:00+00:00",
              "at": "2026-12-03T10:00:00+00:00", "by": "chef", "timezone": "Europe/Paris",
              "crises": [], "contact": None, "kb": None, "signals": {"all": 3},
              "watch": {"spikes": [
                  {"kind": "area", "value": "94", "count": 19, "baseline": 0.42},
                  {"kind": "all", "value": "all", "count": 42, "baseline": 2.33},
                  {"kind": "sentiment", "value": "negative", "count": 25, "baseline": 1.4}],
                  "terms": [{"term": "digue", "scope": "source:rss", "count": 9,
                             "expected": 0.5, "ratio": 18.0}],
                  "rumours": []},
              "polls": [], "publications": []}
    text = report_markdown(report)
    assert "- Pic : Département : 94 (19, Habituel (1 h) 0.42)" in text
    assert "- Pic : Tous les signaux (42," in text
    assert "- Pic : Tonalité : Négatif (25," in text
    assert "digue (Source : rss, x 18.0)" in text
    assert "area" not in text and "all all" not in text and "negative" not in text
    english = report_markdown(report, "en")
    assert "Département: 94" in english and "Sentiment: Negative" in english
    html = report_html(report)
    assert "Département : 94 (19" in html and "Source : rss, ×" in html
