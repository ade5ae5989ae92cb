"""Opinion polls: `crisis polls import` (a good file, a file not in UTF-8, a bad row: nothing
half-imported), the 95 % margin of error, and the situation view's trend chart with its error
bars, its text alternative and its table, read in Debian's Chromium."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.settings import Settings
from crisis.types import Role
from monitoring.keys import WatchKeys
from monitoring.charts import poll_chart
from monitoring.polls import Polls, margin_of_error, parse_polls, poll_trends, read_poll_file
from tests.conftest import login
from tests.support.browser import axe_violations, scroll_to, signed_in_page

GOOD = """date,institute,question,answer,share,sample size,method
2026-11-20,Ifop,Faites-vous confiance aux consignes ?,Oui,52,1000,en ligne
2026-11-20,Ifop,Faites-vous confiance aux consignes ?,Non,45,1000,en ligne
2026-11-27,Elabe,Faites-vous confiance aux consignes ?,Oui,"58,5 %",1 002,téléphone
2026-11-27,Elabe,Faites-vous confiance aux consignes ?,Non,39,1002,téléphone
"""


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crisis", *args],
                          env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60)


def test_the_margin_is_1_96_standard_errors() -> None:
    assert margin_of_error(0.5, 1000) == pytest.approx(0.03099, abs=1e-5)
    assert margin_of_error(0.52, 1000) == pytest.approx(1.96 * math.sqrt(0.52 * 0.48 / 1000))
    assert margin_of_error(0.0, 500) == 0.0
    trend = poll_trends(parse_polls(GOOD))[0]
    oui = next(a for a in trend["answers"] if a["answer"] == "Oui")
    assert [(p["share_pct"], p["margin_pct"]) for p in oui["points"]] == [(52.0, 3.1), (58.5, 3.1)]
    assert oui["points"][1]["sample_size"] == 1002


def test_the_chart_has_an_error_bar_at_every_poll() -> None:
    """pygal's chart: at each poll a dot, and an error bar centred on it whose height is the
    95 % margin on both sides (the same scale for every bar: a wider margin, a longer bar)."""
    question = poll_trends(parse_polls(GOOD.replace("1 002", "250").replace("1002", "250")))[0]
    svg = str(poll_chart("poll-1-chart", question, "fr"))
    dots = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"[^>]*class="dot', svg)]
    bars = [[float(y) for y in re.findall(r"[ML][\d.]+ ([\d.]+)", path)]
            for path in re.findall(r'<g class="ci"><path d="([^"]+)"', svg)]
    assert len(dots) == len(bars) == 4  # two answers, two polls each
    margins = [p["margin_pct"] for a in question["answers"] for p in a["points"]]
    assert margins == [3.1, 6.0, 3.1, 6.1]  # Non, Oui; the second poll asked 250 people
    spans = [max(b) - min(b) for b in bars]
    for dot, bar in zip(dots, bars):
        assert min(bar) < dot < max(bar) and abs((min(bar) + max(bar)) / 2 - dot) < 0.5
    unit = spans[0] / (2 * margins[0])  # SVG units per percentage point
    for span, margin in zip(spans, margins):
        assert span == pytest.approx(2 * margin * unit, rel=0.01)


async def test_a_good_file_is_imported_and_again_replaces_itself(
        env: dict[str, str], ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "polls.csv"
    path.write_text(GOOD, encoding="utf-8")
    for _ in range(2):
        result = run(env, "polls", "import", str(path))
        assert result.returncode == 0, result.stderr
        assert "imported 4 poll results (1 question(s))" in result.stderr + result.stdout
    assert await ctx.redis.hlen(WatchKeys(ctx.keys).polls) == 4
    assert len(await Polls(ctx.redis, WatchKeys(ctx.keys)).all()) == 4


async def test_a_file_not_in_utf8_is_refused_naming_the_byte_and_line(
        env: dict[str, str], ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "polls.csv"
    path.write_bytes(GOOD.encode("cp1252"))
    result = run(env, "polls", "import", str(path))
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "is not UTF-8: byte 0xe9 on line 4" in message and "Traceback" not in result.stderr
    assert await ctx.redis.exists(WatchKeys(ctx.keys).polls) == 0


async def test_a_bad_row_imports_nothing_and_names_its_line(
        env: dict[str, str], ctx: Context, tmp_path: Path) -> None:
    bad = GOOD + "2026-12-01,Ifop,Q,Oui,140,1000,en ligne\n2026-12-01,Ifop,Q,Non,12,beaucoup,x\n"
    path = tmp_path / "polls.csv"
    path.write_text(bad, encoding="utf-8")
    result = run(env, "polls", "import", str(path))
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "nothing imported" in message
    assert "line 6: share '140'" in message and "line 7: sample size 'beaucoup'" in message
    assert await ctx.redis.exists(WatchKeys(ctx.keys).polls) == 0
    with pytest.raises(InvalidInput, match="line 1: missing column"):
        parse_polls("date;institute;question;answer;share\n")
    with pytest.raises(Exception, match="no such file"):
        read_poll_file(tmp_path / "none.csv")


async def test_the_situation_api_gives_the_trends_with_margins(client: Any, ctx: Context) -> None:
    await Polls(ctx.redis, WatchKeys(ctx.keys)).put(parse_polls(GOOD))
    await login(client, ctx, "chef", Role.CELL)
    body = await (await client.get("/api/situation")).json()
    question = body["watch"]["polls"][0]
    assert question["question"] == "Faites-vous confiance aux consignes ?"
    assert question["answers"][1]["points"][-1] == {
        "date": "2026-11-27", "institute": "Elabe", "method": "téléphone", "share_pct": 58.5,
        "margin_pct": 3.1, "sample_size": 1002}


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_reads_the_poll_chart_and_table_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    await Polls(ctx.redis, WatchKeys(ctx.keys)).put(parse_polls(GOOD))
    async with signed_in_page(aiohttp_server, ctx, settings, redis_url, "/cell/situation",
                              timeout_ms=5000) as (page, base):
        await expect(page.get_by_role("heading", name="Sondages")).to_be_visible()
        chart = page.get_by_role(
            "img", name="Évolution des réponses : Faites-vous confiance aux consignes ?")
        await expect(chart).to_have_count(1)
        await expect(chart).to_have_accessible_description(re.compile(
            r"^dernier sondage : Non 39\.0 % ± 3\.0 \(2026-11-27, Elabe\) ; Oui 58\.5 % ± 3\.1"))
        assert await chart.locator("g.ci path").count() == 4  # an error bar at every poll
        # Drawn, not only present (to_be_visible retries: the live region may be swapped
        # between two reads, which detaches the element a bare bounding_box() was reading).
        await expect(chart.locator("g.ci path").first).to_be_visible()
        table = page.get_by_role("table", name="Faites-vous confiance aux consignes ?")
        await expect(table.get_by_role("row").nth(1)).to_have_text(
            re.compile(r"2026-11-20\s*Ifop\s*Non\s*45\.0 %\s*± 3\.1\s*1000\s*en ligne"))
        await expect(table).to_contain_text("58.5 %")
        await scroll_to(page, "watch-polls")
        await page.screenshot(path="/tmp/screens/watch-polls.png")
        assert await axe_violations(page) == []
