"""The watch's charts, drawn server-side by pygal as inline SVG on the core's chart rules
(crisis/web/charts.py: clean SVG for our CSP, a text alternative, the cache by data, the one
stylesheet /cell/static/charts.css): sparklines of trends and rumours, poll trends with their
95 % margins, and the map of France by département; the contacts per channel and the
knowledge base's automatic/operator split are the core's bar and split charts. Used by the
situation page (monitoring/situation_page.py) and the situation report
(monitoring/report_render.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any, Final

import pygal
from markupsafe import Markup
from pygal.graph.map import BaseMap

from crisis.areas import DEPARTEMENTS
from crisis.i18n import translate
from crisis.web.charts import (
    CACHED_CHARTS, COLOURS, COMMON, FONT, INK, LEVELS, STYLE, TEXT, accessible, bar_chart,
    charts_css, render, split_chart, stylesheet,
)
from monitoring.messages import MESSAGES

__all__ = [
    "CACHED_CHARTS", "COLOURS", "COMMON", "FONT", "INK", "MAP_LEVELS", "MAP_SVG", "STYLE", "TEXT",
    "DepartementMap", "bar_chart", "charts_css", "contacts_over_time", "departement_map",
    "map_level", "map_steps",
    "poll_chart", "sparkline", "split_chart", "stylesheet", "top_areas",
]

# The map's steps, light to dark: the core's sequential scale (coloured by charts.css).
MAP_LEVELS: Final = LEVELS


def t(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


# ---- sparklines ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def _spark_svg(series: tuple[int, ...]) -> str:
    chart = pygal.Line(**{**COMMON, "margin": 3}, fill=False, range=(0, max(max(series), 1)))
    chart.add("", list(series))
    return render(chart, width=160, height=32)


def sparkline(dom_id: str, label: str, series: Sequence[int], lang: str) -> Markup:
    """A small line of a counter's windows (oldest first); empty when there is no window."""
    if not series:
        return Markup("")
    desc = f"{', '.join(str(int(v)) for v in series)} ({t('watch.series', lang)})"
    return accessible(_spark_svg(tuple(int(v) for v in series)), dom_id, label, desc)


# ---- contacts over time -------------------------------------------------------------------

OVER_TIME_LABEL_EVERY: Final = 8  # a time under every 8th bar: every 2 hours of 15-minute slots


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _over_time_svg(labels: tuple[str, ...], series: tuple[tuple[str, tuple[int, ...]], ...]) -> str:
    most = max((sum(column) for column in zip(*(values for _, values in series))), default=0)
    chart = pygal.StackedBar(
        **{**COMMON, "show_legend": True}, width=800, height=340, legend_at_bottom=True,
        legend_at_bottom_columns=len(series), x_labels=list(labels),
        x_labels_major_every=OVER_TIME_LABEL_EVERY, show_minor_x_labels=False, spacing=1,
        show_x_guides=False, range=(0, max(most, 4)), min_scale=2, max_scale=5,
        truncate_label=-1, value_formatter=lambda v: f"{v:.0f}",
        classes=["pygal-chart", "chart-over-time"])
    for name, values in series:
        chart.add(name, list(values))
    return render(chart)


def contacts_over_time(dom_id: str, title: str, labels: Sequence[str],
                       series: Sequence[tuple[str, Sequence[int]]], lang: str) -> Markup:
    """New conversations per channel in each slot (stacked bars, oldest first); the text
    alternative gives each channel's total and its last hour (the last four slots)."""
    desc = "; ".join(f"{name} {sum(values)} ({t('sit.last_hour_short', lang)} {sum(values[-4:])})"
                     for name, values in series)
    drawing = _over_time_svg(tuple(labels), tuple((name, tuple(int(v) for v in values))
                                                  for name, values in series))
    return accessible(drawing, dom_id, title, desc)


# ---- poll trends ----------------------------------------------------------------------------

class _PollLine(pygal.DateLine):  # type: ignore[misc]
    """A date line whose points carry their margin of error. pygal draws confidence intervals
    on Line and Bar charts only (on an XY chart it subtracts the (x, y) pair from a number):
    the interval is measured on the point's share."""

    def _confidence_interval(self, node: Any, x: float, y: float, value: Any,
                             metadata: Any) -> None:
        share = value[1] if isinstance(value, (tuple, list)) else value
        super()._confidence_interval(node, x, y, share, metadata)


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _poll_svg(answers: tuple[tuple[str, tuple[tuple[str, float, float], ...]], ...],
              lang: str) -> str:
    lows = [s - m for _, points in answers for _, s, m in points]
    highs = [s + m for _, points in answers for _, s, m in points]
    low = max(0.0, math.floor(min(lows) / 10) * 10)
    high = min(100.0, math.ceil(max(highs) / 10) * 10)
    if high <= low:
        low, high = max(0.0, low - 10), min(100.0, high + 10)
    dates = sorted({dt.date.fromisoformat(d) for _, points in answers for d, _, _ in points})
    shown = dates if len(dates) <= 4 else [dates[round(i * (len(dates) - 1) / 3)] for i in range(4)]
    day_month = "%d/%m" if lang == "fr" else "%m-%d"
    chart = _PollLine(
        **{**COMMON, "show_legend": True}, width=800, height=420, legend_at_bottom=True,
        legend_at_bottom_columns=min(len(answers), 3), legend_box_size=TEXT, range=(low, high),
        y_labels=list(range(int(low), int(high) + 1, 10)), x_labels=shown, dots_size=5,
        x_value_formatter=lambda d: d.strftime(day_month),
        value_formatter=lambda v: f"{v:.0f} %", show_x_guides=False, margin_right=40)
    for answer, points in answers:
        chart.add(answer, [{"value": (dt.date.fromisoformat(d), share),
                            "ci": {"low": share - margin, "high": share + margin}}
                           for d, share, margin in points])
    return render(chart)


def poll_chart(dom_id: str, question: dict[str, Any], lang: str) -> Markup:
    """A line per answer on a calendar axis, each poll with its 95 % margin as an error bar;
    the text alternative gives the latest share of each answer with its margin."""
    answers = tuple((str(a["answer"]), tuple((str(p["date"]), float(p["share_pct"]),
                                              float(p["margin_pct"])) for p in a["points"]))
                    for a in question["answers"] if a["points"])
    if not answers:
        return Markup("")
    c = t("sit.colon", lang)
    latest = " ; ".join(
        f"{a['answer']} {a['points'][-1]['share_pct']} % ± {a['points'][-1]['margin_pct']}"
        f" ({a['points'][-1]['date']}, {a['points'][-1]['institute']})"
        for a in question["answers"] if a["points"])
    return accessible(_poll_svg(answers, lang), dom_id,
                       f"{t('poll.chart_of', lang)}{c}{question['question']}",
                       f"{t('poll.latest_is', lang)}{c}{latest}")


# ---- the map of France by département -------------------------------------------------------

MAP_SVG: Final = (resources.files("monitoring") / "data" / "fr_departements.svg").read_text("utf-8")


class DepartementMap(BaseMap):  # type: ignore[misc]
    """France by département (metropolitan, Corsica 2A/2B, the Paris inset and the overseas
    départements as insets): the shipped, reduced drawing of pygal_maps_fr's map
    (monitoring/data/fr_departements.svg, LGPL-3.0-or-later), coloured by pygal's BaseMap."""

    x_labels = list(DEPARTEMENTS)
    area_names = dict(DEPARTEMENTS)
    area_prefix = "z"
    kind = "departement"
    svg_map = MAP_SVG


def map_level(count: int, most: int) -> int:
    """The colour step (1..MAP_LEVELS) of a count: equal steps of the largest count."""
    if count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(len(MAP_LEVELS) * count / most))


def map_steps(most: int) -> list[tuple[int, int, int]]:
    """The legend: (level, from, to) counts of each colour step."""
    n = len(MAP_LEVELS)
    bounds = [math.ceil(most * i / n) for i in range(n + 1)]
    steps = []
    for level in range(1, n + 1):
        low, high = max(bounds[level - 1] + 1, 1), bounds[level]
        if high >= low:
            steps.append((level, low, high))
    return steps


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _map_svg(counts: tuple[tuple[str, int], ...], series_title: str) -> str:
    chart = DepartementMap(**{**COMMON, "margin": 0}, width=800, height=760)
    # pygal writes "No data" instead of the map when a series is empty: a quiet hour still
    # shows France, through an area code that is on no map.
    chart.add(series_title, [(code, n) for code, n in counts if n > 0] or [("none", 0)])
    svg = render(chart)
    # pygal shades an area with an inline style (blocked by the pages' CSP, and overridden by
    # its own .reactive rule): a class per step instead, coloured by charts.css.
    most = max((n for _, n in counts), default=0)
    by_code = dict(counts)

    def level(match: re.Match[str]) -> str:
        return f'{match[1]} level-{map_level(by_code.get(match[2], 0), most)}"'

    svg = re.sub(r'(class="z(\w+) departement map-element[^"]*)" style="[^"]*"', level, svg)
    return svg


def top_areas(counts: Iterable[tuple[str, int]], limit: int) -> list[tuple[str, str, int]]:
    """The départements with the most, as (code, name, count), most first."""
    ranked = sorted(((code, int(n)) for code, n in counts if int(n) > 0),
                    key=lambda a: (-a[1], a[0]))
    return [(code, DEPARTEMENTS.get(code, code), n) for code, n in ranked[:limit]]


def departement_map(dom_id: str, title: str, counts: Sequence[tuple[str, int]],
                    lang: str) -> Markup:
    """The map coloured by count (darker: more); the text alternative names the first ten."""
    known = tuple(sorted((code, int(n)) for code, n in counts if code in DEPARTEMENTS))
    c = t("sit.colon", lang)
    top = top_areas(known, 10)
    desc = (", ".join(f"{code} {name} {n}" for code, name, n in top) if top
            else t("map.none", lang))
    return accessible(_map_svg(known, title), dom_id, title, f"{t('map.most', lang)}{c}{desc}")

