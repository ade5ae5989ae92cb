"""What the pulse pages show of a pulse's results (`Pulses.results`): figures as their
readers write them, and the geometry of the bar chart (server-side SVG: one bar per answer,
its share, and an error bar of its 95 % margin). Pure: the templates draw what this computes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from channels.alerts.cell_pages import grouped

WIDTH: Final = 520
LABEL_W: Final = 170  # room for the answers' names
BAR_MAX: Final = 260
ROW_H: Final = 36
BAR_H: Final = 20
CAP: Final = 5


def percent(fraction: float | None, lang: str, digits: int = 1) -> str:
    """0.625 -> "62,5 %" (French) or "62.5 %"; a dash when there is none."""
    if fraction is None:
        return "–"
    text = f"{fraction * 100:.{digits}f}"
    return (text if lang == "en" else text.replace(".", ",")) + "\u202f%"


def chart_of(options: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Bars, error bars and the 0-100 % grid of one pulse's answers."""
    rows = []
    for index, row in enumerate(options):
        share, margin = float(row["share"]), float(row["margin"] or 0.0)
        x0 = LABEL_W
        rows.append({"y": index * ROW_H + 4, "mid": index * ROW_H + 4 + BAR_H / 2,
                     "width": round(BAR_MAX * share, 1), "label_x": LABEL_W - 8,
                     "low": round(x0 + BAR_MAX * max(share - margin, 0.0), 1),
                     "high": round(x0 + BAR_MAX * min(share + margin, 1.0), 1),
                     "text_x": round(x0 + BAR_MAX * min(share + margin, 1.0) + 8, 1)})
    grid = [{"x": LABEL_W + BAR_MAX * p / 100, "pct": p} for p in (0, 25, 50, 75, 100)]
    return {"width": WIDTH, "height": ROW_H * len(rows) + 24, "label_w": LABEL_W,
            "bar_h": BAR_H, "cap": CAP, "rows": rows, "grid": grid,
            "grid_y": ROW_H * len(rows) + 4}


def _when(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def pulse_view(results: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One pulse for the page: its texts, figures in `lang`, rows and chart."""
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
            "chart": chart_of(results["options"]) if results["answers"] else None,
            "chart_rows": list(zip(options, chart_of(results["options"])["rows"]))}
