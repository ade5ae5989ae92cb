"""Counts per 5-minute window and the spike detector over them.

Every normalised signal adds one to its window's counters (one Redis hash per window,
`watch:counts:{window}`): "all:all", "source:<source>", "area:<code>", "keyword:<keyword>",
"rumour:<claim id>", "sentiment:<label>", and per rumour its sources and areas,
"rumour-source:<claim id>:<source>" and "rumour-area:<claim id>:<code>" (breakdowns, not
scored as trends). A window is the 5 minutes the signal's own time
falls in (a late item counts where it belongs).

A spike: the count of the current window against the same counter's moving baseline, the
BASELINE_WINDOWS windows before it (one hour): z = (count - mean) / spread, where the spread
is the baseline's standard deviation, never less than the Poisson spread sqrt(mean) nor 1 (a
counter that was flat at 0 or 2 does not turn every small bump into a spike). A spike needs
z >= SPIKE_Z and at least MIN_SPIKE_COUNT signals. A rumour is rising on the weaker test
z >= RUMOUR_Z with at least MIN_RUMOUR_COUNT matches: the cell wants a rumour early.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import redis.asyncio as aioredis

from monitoring.keys import WatchKeys
from monitoring.normalise import NormalisedSignal

WINDOW_S: Final = 300
BASELINE_WINDOWS: Final = 12
COUNTS_TTL_S: Final = 2 * 24 * 3600
SPIKE_Z: Final = 3.0
MIN_SPIKE_COUNT: Final = 5
RUMOUR_Z: Final = 2.0
MIN_RUMOUR_COUNT: Final = 3


def window_of(epoch_s: float) -> int:
    return int(epoch_s // WINDOW_S)


def counter_fields(signal: NormalisedSignal) -> list[str]:
    fields = ["all:all", f"source:{signal.source}", f"sentiment:{signal.sentiment}"]
    if signal.area:
        fields.append(f"area:{signal.area}")
    fields.extend(f"keyword:{keyword}" for keyword in signal.keywords)
    for claim in signal.rumours:
        fields.append(f"rumour:{claim}")
        fields.append(f"rumour-source:{claim}:{signal.source}")
        if signal.area:
            fields.append(f"rumour-area:{claim}:{signal.area}")
    return fields


BREAKDOWNS: Final = ("rumour-source", "rumour-area")


def rumour_breakdown(windows: Sequence[Mapping[str, int]], claim_id: str) -> dict[str, dict[str, int]]:
    """A claim's matches over `windows` per source and per area, most first."""
    out: dict[str, dict[str, int]] = {"sources": {}, "areas": {}}
    for kind, name in zip(BREAKDOWNS, ("sources", "areas"), strict=True):
        prefix = f"{kind}:{claim_id}:"
        counts = out[name]
        for window in windows:
            for field, count in window.items():
                if field.startswith(prefix):
                    value = field[len(prefix):]
                    counts[value] = counts.get(value, 0) + int(count)
        out[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return out


def add_counts(pipe: aioredis.client.Pipeline, keys: WatchKeys,
               signals: Iterable[NormalisedSignal]) -> None:
    """Queue the counters of `signals` on a pipeline (one HINCRBY per counter and window)."""
    per_window: dict[int, dict[str, int]] = {}
    for signal in signals:
        counts = per_window.setdefault(window_of(signal.time.timestamp()), {})
        for field in counter_fields(signal):
            counts[field] = counts.get(field, 0) + 1
    for window, counts in per_window.items():
        key = keys.counts(str(window))
        for field, count in counts.items():
            pipe.hincrby(key, field, count)
        pipe.expire(key, COUNTS_TTL_S)


@dataclasses.dataclass(frozen=True)
class Trend:
    """One counter now, against its baseline."""

    kind: str
    value: str
    count: int
    baseline: float
    z: float
    spike: bool
    series: tuple[int, ...]  # oldest first, the current window last

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "value": self.value, "count": self.count,
                "baseline": round(self.baseline, 2), "z": round(self.z, 2), "spike": self.spike,
                "series": list(self.series)}


def score(series: Sequence[int], *, z_needed: float = SPIKE_Z,
          min_count: int = MIN_SPIKE_COUNT) -> tuple[float, float, bool]:
    """(baseline mean, z, spike) of the last value of `series` against the ones before it."""
    *before, current = series
    mean = sum(before) / len(before) if before else 0.0
    variance = sum((x - mean) ** 2 for x in before) / len(before) if before else 0.0
    spread = max(math.sqrt(variance), math.sqrt(mean), 1.0)
    z = (current - mean) / spread
    return mean, z, z >= z_needed and current >= min_count


def trends_of(windows: Sequence[Mapping[str, int]]) -> list[Trend]:
    """Every counter of the last window, scored (windows oldest first, current last)."""
    out: list[Trend] = []
    for field in windows[-1]:
        kind, _, value = field.partition(":")
        if kind in BREAKDOWNS:
            continue
        series = tuple(int(w.get(field, 0)) for w in windows)
        rumour = kind == "rumour"
        mean, z, spike = score(series, z_needed=RUMOUR_Z if rumour else SPIKE_Z,
                               min_count=MIN_RUMOUR_COUNT if rumour else MIN_SPIKE_COUNT)
        out.append(Trend(kind, value, series[-1], mean, z, spike, series))
    return sorted(out, key=lambda t: (-t.spike, -t.z, -t.count, t.kind, t.value))


async def read_windows(redis: aioredis.Redis, keys: WatchKeys, *,
                       now_s: float | None = None) -> list[dict[str, int]]:
    """The current window and the BASELINE_WINDOWS before it, oldest first."""
    current = window_of(time.time() if now_s is None else now_s)
    async with redis.pipeline(transaction=False) as pipe:
        for window in range(current - BASELINE_WINDOWS, current + 1):
            pipe.hgetall(keys.counts(str(window)))
        raws = await pipe.execute()
    return [{_text(k): int(v) for k, v in raw.items()} for raw in raws]


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
