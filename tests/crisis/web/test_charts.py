"""The core's charts (crisis/web/charts.py) as any package's page gets them: clean SVG for our
CSP with one text alternative in the caller's words, shares drawn on a 0-100 % scale with
their margins as error bars (cut at the scale's ends), one drawing per data, and the
stylesheet served to every package's pages at /cell/static/charts.css. The watch's charts
on top of these are tested in tests/monitoring/test_charts.py, the pulse chart in Chromium
in tests/channels/test_pulses_browser.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crisis.context import Context
from crisis.types import Role
from crisis.web import charts
from tests.conftest import login


def _clean(svg: str, dom_id: str) -> None:
    assert svg.startswith("<svg ") and "<?xml" not in svg
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert f'role="img" aria-labelledby="{dom_id}-title" aria-describedby="{dom_id}-desc"' in svg
    assert svg.count("<title") == 1 and svg.count("<desc") == 1
    assert f'id="{dom_id}"' in svg and charts.PLACEHOLDER not in svg


def test_shares_are_bars_with_their_margins_as_error_bars() -> None:
    svg = str(charts.interval_chart(
        "pu-chart", "Part de chaque réponse", "1. oui : 60 % ± 10 % ; 2. non : 40 % ± 10 %",
        [("1. oui : 60 %", 0.6, 0.1), ("2. non : 40 %", 0.4, 0.1)], percent="\u202f%"))
    _clean(svg, "pu-chart")
    assert "<desc id=\"pu-chart-desc\">1. oui : 60 % ± 10 % ; 2. non : 40 % ± 10 %</desc>" in svg
    assert svg.count('class="rect reactive tooltip-trigger"') == 2
    assert svg.count('<g class="ci">') == 2
    # The scale's labels in the caller's unit; the first row drawn on top (as in the table).
    assert ">50\u202f%</text>" in svg and ">100\u202f%</text>" in svg
    labels = re.findall(r'<text[^>]*>(\d\. (?:oui|non)[^<]*)</text>', svg)
    assert labels == ["2. non : 40 %", "1. oui : 60 %"]  # pygal writes the bottom one first
    assert "chart-intervals" in svg  # the bars' and error bars' colours in charts.css


def _error_bars(svg: str) -> list[tuple[float, float]]:
    """Each error bar's ends on the value axis (SVG x), and the scale's 0 and 100 % (x)."""
    paths = re.findall(r'<g class="ci"><path d="([^"]+)"', svg)
    return [(min(xs), max(xs)) for xs in
            ([float(x) for x in re.findall(r"[ML]([\d.]+) ", d)] for d in paths)]


def _scale(svg: str) -> tuple[float, float]:
    ticks = dict((label, float(x)) for x, label in re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" class="[^"]*">(\d+) %</text>', svg))
    return ticks["0"], ticks["100"]


def test_an_error_bar_spans_its_margin_and_stops_at_the_ends_of_the_scale() -> None:
    inside = str(charts.interval_chart("a", "t", "d", [("x", 0.5, 0.1)]))
    zero, hundred = _scale(inside)
    [(low, high)] = _error_bars(inside)
    assert low == pytest.approx(zero + 0.4 * (hundred - zero), abs=0.01)
    assert high == pytest.approx(zero + 0.6 * (hundred - zero), abs=0.01)
    wide = str(charts.interval_chart("a", "t", "d", [("x", 0.5, 0.9)]))
    assert _error_bars(wide) == [pytest.approx((zero, hundred), abs=0.01)]
    # Shares out of 0..1 are drawn at the ends, not off the chart.
    beyond = str(charts.interval_chart("a", "t", "d", [("x", 1.4, 0.2), ("y", -1.0, 0.2)]))
    assert all(zero - 0.01 <= end <= hundred + 0.01 for bar in _error_bars(beyond) for end in bar)


def test_a_chart_is_drawn_once_per_data_and_named_per_place() -> None:
    charts.intervals_svg.cache_clear()
    rows = [("oui", 0.6, 0.1), ("non", 0.4, 0.1)]
    first = charts.interval_chart("p-1", "Parts", "oui 60, non 40", rows)
    second = charts.interval_chart("p-2", "Parts", "oui 60, non 40", rows)
    assert charts.intervals_svg.cache_info().hits == 1
    assert first.replace("p-1", "p-2") == second
    assert charts.interval_chart("p-1", "Parts", "d", [("oui", 0.7, 0.1)]) != first
    # The caller's words are escaped into the text alternative.
    assert "&lt;b&gt;" in charts.interval_chart("p-3", "<b>", "d", rows)


def test_the_generic_charts_are_clean_svg() -> None:
    _clean(str(charts.bar_chart("b", "Contacts", [("SMS", 3), ("Téléphone", 9)])), "b")
    _clean(str(charts.split_chart("s", "Réponses", [("auto", 4), ("opérateur", 1)])), "s")


def test_the_stylesheet_is_current_and_has_the_shares_rules() -> None:
    assert charts.stylesheet() == charts.charts_css(), \
        "run: python -m crisis.web.charts > crisis/web/shell/static/charts.css"
    assert ".pygal-chart.chart-intervals .ci path{" in charts.stylesheet()


async def test_every_package_s_pages_get_the_stylesheet(client: Any, ctx: Context) -> None:
    await login(client, ctx, "chef", Role.CELL)
    response = await client.get("/cell/static/charts.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert await response.text() == charts.stylesheet()
