"""The geometry of a poll trend chart (server-side SVG): per answer, a line through its
shares in date order and, at each poll, an error bar of the 95 % margin (never bare points).

Pure: the template draws what this computes. The x axis is the calendar (polls are not
evenly spaced); the y axis spans the shares and their margins, rounded out to 10 points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Final

WIDTH: Final = 480
HEIGHT: Final = 220
LEFT: Final = 40   # room for the share labels
RIGHT: Final = 110  # room for the answers' names at the end of their lines
TOP: Final = 10
BOTTOM: Final = 30  # room for the dates
CAP: Final = 4  # half-width of an error bar's caps
SERIES_CLASSES: Final = 6  # poll-series-0 .. 5 in the stylesheet, then they repeat


def _span(question: Mapping[str, Any]) -> tuple[float, float]:
    lows = [p["share_pct"] - p["margin_pct"] for a in question["answers"] for p in a["points"]]
    highs = [p["share_pct"] + p["margin_pct"] for a in question["answers"] for p in a["points"]]
    low = max(0.0, math.floor(min(lows) / 10) * 10)
    high = min(100.0, math.ceil(max(highs) / 10) * 10)
    return (low, high) if high > low else (max(0.0, low - 10), min(100.0, high + 10))


def poll_chart(question: Mapping[str, Any]) -> dict[str, Any]:
    """Lines, error bars, the y grid (every 10 points) and the dates of one question's trend."""
    dates = sorted({dt.date.fromisoformat(p["date"]) for a in question["answers"]
                    for p in a["points"]})
    first, days = dates[0], max((dates[-1] - dates[0]).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = _span(question)

    def x_of(date: str) -> float:
        if len(dates) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (dt.date.fromisoformat(date) - first).days / days

    def y_of(pct: float) -> float:
        return TOP + plot_h * (high - min(max(pct, low), high)) / (high - low)

    series = []
    for index, answer in enumerate(question["answers"]):
        marks = [{"x": round(x_of(p["date"]), 1), "y": round(y_of(p["share_pct"]), 1),
                  "y_low": round(y_of(p["share_pct"] - p["margin_pct"]), 1),
                  "y_high": round(y_of(p["share_pct"] + p["margin_pct"]), 1)}
                 for p in answer["points"]]
        last = marks[-1]
        series.append({"answer": answer["answer"], "class": f"poll-series-{index % SERIES_CLASSES}",
                       "points": " ".join(f"{m['x']},{m['y']}" for m in marks), "marks": marks,
                       "label_x": round(last["x"] + 8, 1), "label_y": round(last["y"] + 4, 1)})
    grid = [{"pct": int(v), "y": round(y_of(v), 1)} for v in range(int(low), int(high) + 1, 10)]
    ticks = [{"date": d.isoformat(), "x": round(x_of(d.isoformat()), 1)} for d in dates]
    if len(ticks) > 4:  # keep the first, the last and two between: dates must stay readable
        step = (len(ticks) - 1) / 3
        ticks = [ticks[round(i * step)] for i in range(4)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "bottom": HEIGHT - BOTTOM, "cap": CAP, "series": series, "grid": grid,
            "ticks": ticks}
