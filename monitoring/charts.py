"""The watch's charts, drawn server-side by pygal as inline SVG: contacts per channel, the
knowledge base's automatic/operator split, sparklines of trends and rumours, poll trends with
their 95 % margins, and the map of France by département. Used by the situation page
(monitoring/situation_page.py) and the situation report (monitoring/report_render.py).

Every chart is plain SVG for an HTML page: no XML declaration, no script (pygal links its
tooltips' JavaScript from a CDN unless `js` is empty, and writes its config in an inline
script: taken out), nothing loaded from the network, and a text alternative (role="img", a
<title> naming it and a <desc> with its figures); the page keeps its tables beside the charts.

The pages' Content-Security-Policy allows no inline style: pygal's <style> is taken out of
each chart and served once as monitoring/static/charts.css (`python -m monitoring.charts`
writes it; a test checks it is current), its selectors scoped to `.pygal-chart`.

pygal is not free (a few milliseconds a chart) and the figures region is re-rendered every
few seconds for each wall screen: a chart's SVG is cached by its data (its arguments are the
cache key), and the element id is put in afterwards, so one cached drawing serves every page
and position.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import sys
from collections.abc import Iterable, Sequence
from html import escape, unescape
from importlib import resources
from typing import Any, Final

import pygal
from markupsafe import Markup
from pygal.graph.map import BaseMap
from pygal.style import Style

from crisis.areas import DEPARTEMENTS
from crisis.i18n import translate
from monitoring.messages import MESSAGES

# pygal appends a finder for its `pygal.maps.*` plugins to sys.meta_path; it has no find_spec,
# so every later import that reaches it warns (ImportWarning, an error under our tests). We
# use no plugin map (the map below is our own subclass): the finder is taken off again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f) is not pygal.PluginImportFixer]

CACHED_CHARTS: Final = 512
# Accessible colours (the French State's design system): contrast >= 4.5:1 on white, and the
# series differ in lightness as well as in hue.
COLOURS: Final = ("#000091", "#c9191e", "#18753c", "#716043", "#6e445a", "#3a3a3a")
INK: Final = "#161616"
FONT: Final = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
# Text sizes in SVG units of an 800-unit-wide chart: shown ~600 px wide, 22 units are ~16 px.
TEXT: Final = 22

STYLE: Final = Style(
    background="#ffffff", plot_background="#ffffff", foreground=INK, foreground_strong=INK,
    foreground_subtle="#6a6a6a", opacity="1", opacity_hover="1", transition="none",
    colors=COLOURS, font_family=FONT, label_font_size=TEXT, major_label_font_size=TEXT,
    value_font_size=TEXT, value_label_font_size=TEXT, legend_font_size=TEXT,
    title_font_size=TEXT, tooltip_font_size=TEXT, no_data_font_size=TEXT,
    stroke_width="3")
# Every chart: no XML declaration inside HTML, no JavaScript, no CDN, no fixed pixel size.
COMMON: Final[dict[str, Any]] = dict(
    style=STYLE, js=[], disable_xml_declaration=True, explicit_size=False, pretty_print=False,
    show_legend=False, tooltip_border_radius=0, margin=8, no_data_text="–")
_PLACEHOLDER: Final = "chart-cached"
# The map's steps, light to dark (a sequential scale of the same blue; the darkest is the
# State's blue): more signals, darker; the legend gives each step's counts.
MAP_LEVELS: Final = ("#bdbdfa", "#8f8ff5", "#6161e6", "#3030c0", "#000091")


def t(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


def _accessible(svg: str, dom_id: str, title: str, desc: str) -> Markup:
    """The cached drawing with its element id and its text alternative put in."""
    svg = svg.replace(_PLACEHOLDER, dom_id)
    head, _, rest = svg.partition(">")
    return Markup(
        f'{head} role="img" aria-labelledby="{dom_id}-title" aria-describedby="{dom_id}-desc">'
        f'<title id="{dom_id}-title">{escape(title)}</title>'
        f'<desc id="{dom_id}-desc">{escape(desc)}</desc>{rest}')


def _render(chart: Any, **options: Any) -> str:
    # pygal names the chart (and scopes its CSS) by a random uuid: a fixed one, replaced per
    # page by _accessible, keeps the cached SVG valid for any position.
    chart.uuid = _PLACEHOLDER.removeprefix("chart-")
    svg = chart.render_sparkline(**options) if options else chart.render()
    text = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
    # pygal's comments (its credits, with links, and the render date), its config script and
    # its stylesheet (in charts.css) are not for the page.
    text = re.sub(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>", "", text, flags=re.S)
    # Its titles and value descriptions feed its tooltips (JavaScript): each chart has one
    # text alternative, put in by _accessible.
    text = re.sub(r"<title>.*?</title>|<desc class=[^>]*>.*?</desc>", "", text, flags=re.S)
    text = re.sub(r'<g [^>]*class="tooltip">.*?<g class="text"/></g>', "", text, flags=re.S)
    if re.search(r"(?:https?:)?//", _external(text)):
        raise ValueError("a chart would load something from the network")
    return text


def _external(svg: str) -> str:
    """The SVG without its namespace declarations (the only URLs allowed in it)."""
    return re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)


def charts_css() -> str:
    """pygal's stylesheet for STYLE, scoped to `.pygal-chart`, and the map's levels."""
    chart = pygal.Line(**COMMON)
    chart.uuid = _PLACEHOLDER.removeprefix("chart-")
    for index in range(len(COLOURS)):  # pygal writes a colour rule per series it draws
        chart.add(str(index), [index, index + 1])
    svg = chart.render(is_unicode=True)
    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", svg, flags=re.S))
    css = unescape(css).replace(f"#{_PLACEHOLDER}", ".pygal-chart")
    levels = "".join(f".pygal-chart .map-element.level-{i} path{{fill:{colour}}}"
                     f".map-level-{i}{{background:{colour}}}"
                     for i, colour in enumerate(MAP_LEVELS, start=1))
    return (f"/* Generated by `python -m monitoring.charts` from pygal {pygal.__version__}'s"
            f" stylesheet for monitoring/charts.py's STYLE: do not edit. */\n{css}\n"
            ".pygal-chart .map-element path{fill:#f6f6f6;stroke:#6a6a6a;stroke-width:1}"
            ".pygal-chart.chart-split .text-overlay text{fill:#ffffff;font-weight:700}"
            # The operator's share is not an alarm: grey, not the second series' red.
            ".pygal-chart.chart-split .color-1{fill:#6a6a6a;stroke:#6a6a6a}"
            ".pygal-chart.chart-bars .text-overlay text{transform:translateX(8px)}"
            f".pygal-chart .map-element.series path{{stroke:{INK}}}{levels}\n")


# ---- contacts per channel -------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def _bars_svg(labels: tuple[str, ...], values: tuple[int, ...]) -> str:
    # pygal draws a horizontal bar chart's first label at the bottom: reversed, the first row
    # is on top as in the table; the scale has room for the count printed after the longest.
    most = max(max(values, default=0), 1)
    chart = pygal.HorizontalBar(
        **COMMON, width=800, height=30 + 56 * len(labels), print_values=True,
        print_values_position="top", show_y_guides=False, show_x_guides=False,
        range=(0, most * 1.15), x_labels=list(reversed(labels)), show_x_labels=False,
        spacing=12, value_formatter=lambda v: f"{v:.0f}", classes=["pygal-chart", "chart-bars"])
    chart.add("", list(reversed(values)))
    return _render(chart)


def bar_chart(dom_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """A horizontal bar per row (label, count), the counts printed at the bars' ends."""
    labels = tuple(label for label, _ in rows)
    values = tuple(int(count) for _, count in rows)
    desc = ", ".join(f"{label} {count}" for label, count in rows)
    return _accessible(_bars_svg(labels, values), dom_id, title, desc)


# ---- the knowledge base's split ------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def _split_svg(parts: tuple[tuple[str, int], ...]) -> str:
    chart = pygal.HorizontalStackedBar(
        **{**COMMON, "show_legend": True}, width=800, height=150, legend_at_bottom=True,
        legend_at_bottom_columns=len(parts), show_x_labels=False, show_y_labels=False,
        show_y_guides=False, print_values=True, spacing=4, legend_box_size=TEXT,
        classes=["pygal-chart", "chart-split"], range=(0, max(sum(n for _, n in parts), 1)),
        value_formatter=lambda v: f"{v:.0f}")
    for label, value in parts:
        chart.add(label, [value])
    return _render(chart)


def split_chart(dom_id: str, title: str, parts: Sequence[tuple[str, int]]) -> Markup:
    """One bar split in parts (label, count), with a legend."""
    desc = ", ".join(f"{count} {label}" for label, count in parts)
    return _accessible(_split_svg(tuple((lbl, int(n)) for lbl, n in parts)), dom_id, title, desc)


# ---- sparklines ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def _spark_svg(series: tuple[int, ...]) -> str:
    chart = pygal.Line(**{**COMMON, "margin": 3}, fill=False, range=(0, max(max(series), 1)))
    chart.add("", list(series))
    return _render(chart, width=160, height=32)


def sparkline(dom_id: str, label: str, series: Sequence[int], lang: str) -> Markup:
    """A small line of a counter's windows (oldest first); empty when there is no window."""
    if not series:
        return Markup("")
    desc = f"{', '.join(str(int(v)) for v in series)} ({t('watch.series', lang)})"
    return _accessible(_spark_svg(tuple(int(v) for v in series)), dom_id, label, desc)


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
    return _render(chart)


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
    return _accessible(_poll_svg(answers, lang), dom_id,
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
    svg = _render(chart)
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
    return _accessible(_map_svg(known, title), dom_id, title, f"{t('map.most', lang)}{c}{desc}")


if __name__ == "__main__":
    import sys
    sys.stdout.write(charts_css())
