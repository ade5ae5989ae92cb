"""What the pulse pages show of a pulse's results (`Pulses.results`): figures as their
readers write them, and the bar chart (the core's pygal chart of shares: one bar per answer,
its share, and an error bar of its 95 % margin, with a text alternative giving every figure).
Pure: the templates lay out what this computes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from channels.alerts.cell_pages import grouped
from channels.alerts.pulse_messages import MESSAGES
from crisis.i18n import percent, translate
from crisis.web.charts import interval_chart

CHART_ID = "pu-chart"


def results_chart(results: Mapping[str, Any], options: Sequence[Mapping[str, Any]],
                  lang: str) -> Markup:
    """The bar chart of each answer's share with its margin as an error bar; `options` are
    pulse_view's rows (the figures as the table writes them)."""
    def words(key: str, row: Mapping[str, Any]) -> str:
        return translate(MESSAGES, key, lang).format(**row)

    bars = [(words("chart.bar", view), float(row["share"]), float(row["margin"] or 0.0))
            for row, view in zip(results["options"], options)]
    desc = translate(MESSAGES, "chart.join", lang).join(
        words("chart.figures", view) for view in options)
    return interval_chart(CHART_ID, translate(MESSAGES, "chart", lang), desc, bars,
                          percent="\u202f%")


def _when(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def pulse_view(results: Mapping[str, Any], lang: str, *,
               chart: bool = False) -> dict[str, Any]:
    """One pulse for the page: its texts, figures in `lang`, rows, and with `chart` its bar
    chart once someone has answered (None before)."""
    options = []
    for row in results["options"]:
        margin = row["margin"]
        options.append({
            "number": row["number"], "option": row["option"],
            "answers": grouped(row["answers"], lang),
            "share": percent(row["share"] if results["answers"] else None, lang),
            "margin": "± " + percent(margin, lang) if margin is not None else "–",
            "interval": (f"{percent(max(row['share'] - margin, 0.0), lang)} – "
                         f"{percent(min(row['share'] + margin, 1.0), lang)}")
            if margin is not None else "–"})
    return {"id": results["id"], "question": results["question"],
            "question_en": results["question_en"], "state": results["state"],
            "open": results["state"] == "open", "channels": results["channels"],
            "areas": results["areas"], "asked": grouped(results["asked"], lang),
            "drawn": grouped(results["drawn"], lang),
            "population": grouped(results["population"], lang), "seed": results["seed"],
            "took_all": results["drawn"] < results["asked"],
            "answers": grouped(results["answers"], lang), "sent": grouped(results["sent"], lang),
            "to_send": grouped(results["to_send"], lang), "sending": results["sending"],
            "broadcast": results["broadcast"],
            "rate": percent(results["response_rate"], lang),
            "created": _when(results["created_at"]),
            "ends": dt.datetime.fromtimestamp(results["ends_at"], dt.timezone.utc),
            "closed": _when(results["closed_at"]), "options": options,
            "chart": results_chart(results, options, lang)
            if chart and results["answers"] else None}
