"""Charts for every package's pages, drawn server-side by pygal as inline SVG: the drawing's
rules shared by all (style, colours, clean SVG, text alternative, cache, stylesheet) and the
generic charts (a bar per row, one bar split in parts, shares with their margins of error).
The watch's own charts (map, poll trends, sparklines) build on it in monitoring/charts.py.
Callers pass every word (titles, labels, descriptions): the core holds no package's messages.

Every chart is plain SVG for an HTML page: no XML declaration, no script (pygal links its
tooltips' JavaScript from a CDN unless `js` is empty, and writes its config in an inline
script: taken out), nothing loaded from the network, and a text alternative (role="img", a
<title> naming it and a <desc> with its figures); the pages keep their tables beside the charts.

The pages' Content-Security-Policy allows no inline style: pygal's <style> is taken out of
each chart and served once as /cell/static/charts.css (crisis/web/shell/static/charts.css,
written by `python -m crisis.web.charts`; a test checks it is current), its selectors scoped
to `.pygal-chart`.

pygal is not free (a few milliseconds a chart) and the situation's figures are re-rendered
every few seconds for each wall screen: a chart's SVG is cached by its data (its arguments
are the cache key), and the element id is put in afterwards, so one cached drawing serves
every page and position.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from html import escape, unescape
from importlib import resources
from typing import Any, Final

import pygal
from markupsafe import Markup
from pygal.style import Style

# pygal appends a finder for its `pygal.maps.*` plugins to sys.meta_path; it has no find_spec,
# so every later import that reaches it warns (ImportWarning, an error under our tests). We
# use no plugin map (the watch's map is its own subclass): the finder is taken off again.
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
PLACEHOLDER: Final = "chart-cached"
# Steps of a map, light to dark (a sequential scale of the same blue; the darkest is the
# State's blue): a map element of class `level-N` and a legend key of class `map-level-N`.
LEVELS: Final = ("#bdbdfa", "#8f8ff5", "#6161e6", "#3030c0", "#000091")
# The bars of shares with margins: a lighter blue (4.9:1 on white), so that the error bars
# in ink stay visible across the bar (3.7:1 on it).
INTERVAL_BAR: Final = "#6161e6"
STYLESHEET: Final = "charts.css"


def accessible(svg: str, dom_id: str, title: str, desc: str) -> Markup:
    """A cached drawing with its element id and its text alternative put in."""
    svg = svg.replace(PLACEHOLDER, dom_id)
    head, _, rest = svg.partition(">")
    return Markup(
        f'{head} role="img" aria-labelledby="{dom_id}-title" aria-describedby="{dom_id}-desc">'
        f'<title id="{dom_id}-title">{escape(title)}</title>'
        f'<desc id="{dom_id}-desc">{escape(desc)}</desc>{rest}')


def render(chart: Any, **options: Any) -> str:
    """The chart's SVG for a page (a sparkline when `options` give its size), with the
    placeholder id that `accessible` replaces. Raises ValueError if it would load anything
    from the network."""
    # pygal names the chart (and scopes its CSS) by a random uuid: a fixed one, replaced per
    # page by accessible(), keeps the cached SVG valid for any position.
    chart.uuid = PLACEHOLDER.removeprefix("chart-")
    svg = chart.render_sparkline(**options) if options else chart.render()
    text = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
    # pygal's comments (its credits, with links, and the render date), its config script and
    # its stylesheet (in charts.css) are not for the page.
    text = re.sub(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>", "", text, flags=re.S)
    # Its titles and value descriptions feed its tooltips (JavaScript): each chart has one
    # text alternative, put in by accessible().
    text = re.sub(r"<title>.*?</title>|<desc class=[^>]*>.*?</desc>", "", text, flags=re.S)
    text = re.sub(r'<g [^>]*class="tooltip">.*?<g class="text"/></g>', "", text, flags=re.S)
    # The legend's ids serve its script only, and repeat from chart to chart on one page.
    text = re.sub(r' id="activate-serie-\d+"', "", text)
    if re.search(r"(?:https?:)?//", _external(text)):
        raise ValueError("a chart would load something from the network")
    return text


def _external(svg: str) -> str:
    """The SVG without its namespace declarations (the only URLs allowed in it)."""
    return re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)


def charts_css() -> str:
    """pygal's stylesheet for STYLE, scoped to `.pygal-chart`, and our charts' own rules."""
    chart = pygal.Line(**COMMON)
    chart.uuid = PLACEHOLDER.removeprefix("chart-")
    for index in range(len(COLOURS)):  # pygal writes a colour rule per series it draws
        chart.add(str(index), [index, index + 1])
    svg = chart.render(is_unicode=True)
    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", svg, flags=re.S))
    css = unescape(css).replace(f"#{PLACEHOLDER}", ".pygal-chart")
    levels = "".join(f".pygal-chart .map-element.level-{i} path{{fill:{colour}}}"
                     f".map-level-{i}{{background:{colour}}}"
                     for i, colour in enumerate(LEVELS, start=1))
    return (f"/* Generated by `python -m crisis.web.charts` from pygal {pygal.__version__}'s"
            f" stylesheet for crisis/web/charts.py's STYLE: do not edit. */\n{css}\n"
            ".pygal-chart .map-element path{fill:#f6f6f6;stroke:#6a6a6a;stroke-width:1}"
            ".pygal-chart.chart-split .text-overlay text{fill:#ffffff;font-weight:700}"
            # The operator's share is not an alarm: grey, not the second series' red.
            ".pygal-chart.chart-split .color-1{fill:#6a6a6a;stroke:#6a6a6a}"
            ".pygal-chart.chart-bars .text-overlay text{transform:translateX(8px)}"
            f".pygal-chart.chart-intervals .color-0{{fill:{INTERVAL_BAR};stroke:{INTERVAL_BAR}}}"
            f".pygal-chart.chart-intervals .ci path{{stroke:{INK};stroke-width:3}}"
            f".pygal-chart .map-element.series path{{stroke:{INK}}}{levels}\n")


def stylesheet() -> str:
    """The shipped stylesheet's text (for documents that inline it, as the situation report)."""
    return (resources.files("crisis.web.shell") / "static" / STYLESHEET).read_text("utf-8")


# ---- a bar per row --------------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def bars_svg(labels: tuple[str, ...], values: tuple[int, ...]) -> str:
    """The cached drawing of `bar_chart`."""
    # pygal draws a horizontal bar chart's first label at the bottom: reversed, the first row
    # is on top as in the table; the scale has room for the count printed after the longest.
    most = max(max(values, default=0), 1)
    chart = pygal.HorizontalBar(
        **COMMON, width=800, height=30 + 56 * len(labels), print_values=True,
        print_values_position="top", show_y_guides=False, show_x_guides=False,
        range=(0, most * 1.15), x_labels=list(reversed(labels)), show_x_labels=False,
        spacing=12, value_formatter=lambda v: f"{v:.0f}", classes=["pygal-chart", "chart-bars"])
    chart.add("", list(reversed(values)))
    return render(chart)


def bar_chart(dom_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """A horizontal bar per row (label, count), the counts printed at the bars' ends."""
    labels = tuple(label for label, _ in rows)
    values = tuple(int(count) for _, count in rows)
    desc = ", ".join(f"{label} {count}" for label, count in rows)
    return accessible(bars_svg(labels, values), dom_id, title, desc)


# ---- one bar split in parts -----------------------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def split_svg(parts: tuple[tuple[str, int], ...]) -> str:
    """The cached drawing of `split_chart`."""
    chart = pygal.HorizontalStackedBar(
        **{**COMMON, "show_legend": True}, width=800, height=150, legend_at_bottom=True,
        legend_at_bottom_columns=len(parts), show_x_labels=False, show_y_labels=False,
        show_y_guides=False, print_values=True, spacing=4, legend_box_size=TEXT,
        classes=["pygal-chart", "chart-split"], range=(0, max(sum(n for _, n in parts), 1)),
        value_formatter=lambda v: f"{v:.0f}")
    for label, value in parts:
        chart.add(label, [value])
    return render(chart)


def split_chart(dom_id: str, title: str, parts: Sequence[tuple[str, int]]) -> Markup:
    """One bar split in parts (label, count), with a legend."""
    desc = ", ".join(f"{count} {label}" for label, count in parts)
    return accessible(split_svg(tuple((lbl, int(n)) for lbl, n in parts)), dom_id, title, desc)


# ---- shares with their margins of error -----------------------------------------------------

@functools.lru_cache(maxsize=CACHED_CHARTS)
def intervals_svg(rows: tuple[tuple[str, float, float], ...], percent: str) -> str:
    """The cached drawing of `interval_chart`."""
    # First row on top, as in the table (pygal draws a horizontal chart's first label at the
    # bottom); labels cut at 40 characters, the table beside has them whole.
    chart = pygal.HorizontalBar(
        **COMMON, width=800, height=70 + 64 * len(rows), range=(0, 100),
        y_labels=[0, 25, 50, 75, 100], value_formatter=lambda v: f"{v:.0f}{percent}",
        x_labels=[label for label, _, _ in reversed(rows)], truncate_label=40,
        show_x_guides=False, spacing=16, margin_right=24,
        classes=["pygal-chart", "chart-intervals"])
    chart.add("", [{"value": share * 100, "ci": {"low": max(share - margin, 0.0) * 100,
                                                  "high": min(share + margin, 1.0) * 100}}
                   for _, share, margin in reversed(rows)])
    return render(chart)


def interval_chart(dom_id: str, title: str, desc: str,
                   rows: Sequence[tuple[str, float, float]], percent: str = " %") -> Markup:
    """A horizontal bar per row (label, share, margin; fractions of 1) on a 0-100 % scale,
    each with its margin as an error bar (cut at 0 and 100 %). The label is all the chart
    writes of a row: callers put the share in it, and every figure in `desc`; `percent` is
    the unit after the scale's numbers (a narrow no-break space before % in French)."""
    cleaned = tuple((str(label), min(max(float(share), 0.0), 1.0), max(float(margin), 0.0))
                    for label, share, margin in rows)
    return accessible(intervals_svg(cleaned, percent), dom_id, title, desc)


if __name__ == "__main__":
    sys.stdout.write(charts_css())
