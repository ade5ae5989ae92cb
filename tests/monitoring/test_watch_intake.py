"""The watch's intake over a real Redis: signal lines checked, the file import (all or nothing,
bad lines named), POST /api/signals (202, 400, 413, roles), the normaliser (area, keywords,
rumours, sentiment), the counts, a spike detected and a steady counter left alone, the
situation JSON and the gauges on /metrics."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import Role
from monitoring.detection import BASELINE_WINDOWS, WINDOW_S, score, trends_of
from monitoring.intake import add_signals, normalise_once, ensure_group
from monitoring.keys import WatchKeys
from monitoring.signal import parse_signal_line
from monitoring.signal_batches import import_file
from monitoring.watch_keywords import keywords_key
from monitoring.watchlist import Claim, Rumours
from monitoring.watch_situation import watch_section
from tests.conftest import CELL, bearer, login
from tests.support.polling import until



def line(text: str, **extra: Any) -> str:
    # Now, not the module's import time: in a long run, that is minutes ago, another window.
    now = dt.datetime.now(dt.timezone.utc)
    return json.dumps({"source": "social", "time": now.isoformat(), "text": text, **extra},
                      ensure_ascii=False)


def test_a_signal_line_is_checked_field_by_field() -> None:
    signal = parse_signal_line(line("Crue à Nantes", area="44", reach=120, author_kind="citizen"))
    assert signal.area == "44" and signal.reach == 120 and signal.source == "social"
    for bad, reason in ((b"{", "not a JSON object"), (b"[1]", "JSON object"),
                        (line("x", colour="red"), "unknown keys: colour"),
                        (line("x", area="99"), "not a d\u00e9partement"),
                        (json.dumps({"source": "rss", "text": "x"}), "'time' is required"),
                        (line("x", reach=-1), "'reach'"),
                        (json.dumps({"source": "rss", "text": "x", "time": "2999-01-01T00:00:00Z"}),
                         "in the future")):
        with pytest.raises(InvalidInput, match=reason):
            parse_signal_line(bad)


async def test_a_file_with_a_bad_line_imports_nothing_and_names_the_line(
        ctx: Context, tmp_path: Path) -> None:
    keys = WatchKeys(ctx.keys)
    path = tmp_path / "signals.jsonl"
    path.write_text("\n".join([line("un"), line("deux"), "{oops", line("trois", area="XX")]) + "\n")
    with pytest.raises(InvalidInput) as refused:
        await import_file(ctx.redis, keys, path, progress=lambda _: None)
    assert "line 3" in refused.value.message and "line 4" in refused.value.message
    assert "nothing imported" in refused.value.message
    assert await ctx.redis.xlen(keys.signals) == 0
    written, errors = await import_file(ctx.redis, keys, path, skip_bad=True, progress=lambda _: None)
    assert (written, errors.count) == (2, 2)
    assert await ctx.redis.xlen(keys.signals) == 2


async def test_a_big_file_is_written_in_batches(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(line(f"message {n}") for n in range(2500)))
    steps: list[str] = []
    written, _ = await import_file(ctx.redis, WatchKeys(ctx.keys), path, progress=steps.append)
    assert written == 2500 and steps == ["1000 / 2500 signals written", "2000 / 2500 signals written"]


async def test_the_api_takes_up_to_1000_lines_all_or_none(client: Any, ctx: Context) -> None:
    headers = await bearer(ctx, "veille", Role.SUPERVISOR)
    body = "\n".join(line(f"signal {n}") for n in range(3))
    accepted = await client.post("/api/signals", data=body, headers=headers)
    assert accepted.status == 202 and await accepted.json() == {"accepted": 3}
    as_array = await client.post("/api/signals", data=f"[{line('a')},{line('b')}]", headers=headers)
    assert (await as_array.json()) == {"accepted": 2}
    bad = await client.post("/api/signals", data=line("ok") + "\n{\"source\": 1}", headers=headers)
    assert bad.status == 400
    assert "line 2" in (await bad.json())["error"]["message"]
    too_many = await client.post("/api/signals", data="\n".join([line("x")] * 1001), headers=headers)
    assert too_many.status == 413 and "at most 1000" in (await too_many.json())["error"]["message"]
    assert await ctx.redis.xlen(WatchKeys(ctx.keys).signals) == 5
    anonymous = await client.post("/api/signals", data=line("x"))
    assert anonymous.status == 401
    operator = await client.post("/api/signals", data=line("x"),
                                 headers=await bearer(ctx, "op", Role.OPERATOR))
    assert operator.status == 403


async def test_signals_are_normalised_once_and_counted(ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["44"], level=2,
                            actor=CELL, title="Crue de la Loire")
    await ctx.redis.hset(keywords_key(ctx), "c1", json.dumps(["inondation", "crue"]))
    await Rumours(ctx.redis, keys).put(Claim(id="barrage", claim="le barrage va céder",
                                             variants=("rupture du barrage",)))
    signals = [parse_signal_line(text) for text in (
        line("Inondations à Nantes, le pont est fermé"),
        line("On dit que le barrage risque de céder cette nuit !"),
        line("Merci aux pompiers de Tours, très efficaces", source="rss"),
        line("is the tap water safe to drink"))]
    await add_signals(ctx.redis, keys, signals)
    await ensure_group(ctx.redis, keys)
    assert await normalise_once(ctx.redis, keys, keywords_key(ctx), consumer="t", block_ms=None) == 4
    section = await watch_section(ctx.redis, keys)
    latest = {s["text"][:10]: s for s in section["latest"]}
    flood = latest["Inondation"]
    assert flood["area"] == "44" and flood["keywords"] == ["inondation"] and flood["lang"] == "fr"
    assert latest["On dit que"]["rumours"] == ["barrage"]
    assert latest["Merci aux "]["sentiment"] == "positive" and latest["Merci aux "]["area"] == "37"
    assert latest["is the tap"]["lang"] == "en"
    assert section["intake"]["normalised"] == 4 and section["intake"]["pending"] == 0
    counts = {(t["kind"], t["value"]): t["count"] for t in section["trends"]}
    assert counts[("all", "all")] == 4 and counts[("keyword", "inondation")] == 1
    assert counts[("source", "rss")] == 1 and counts[("area", "44")] == 1
    assert section["rumours"][0]["id"] == "barrage" and section["rumours"][0]["count"] == 1
    assert {row["source"] for row in section["sentiment"]} == {"social", "rss"}


def _synthetic(rng: random.Random, spike_at: int | None, base: float) -> list[int]:
    """BASELINE_WINDOWS + 1 windows of Poisson-like noise around `base`; x5 in the last one
    when `spike_at` is set."""
    series = [sum(rng.random() < base / 50 for _ in range(50)) for _ in range(BASELINE_WINDOWS + 1)]
    if spike_at is not None:
        series[-1] = int(base * 5)
    return series


def test_a_fivefold_jump_surfaces_and_steady_noise_does_not() -> None:
    rng = random.Random(16)
    spikes_found = sum(score(_synthetic(rng, 1, base))[2] for base in (4, 6, 10, 20) for _ in range(50))
    false_alarms = sum(score(_synthetic(rng, None, base))[2] for base in (4, 6, 10, 20) for _ in range(250))
    print(f"recall {spikes_found}/200, false alarms {false_alarms}/1000")
    assert spikes_found == 200
    assert false_alarms <= 10


def test_trends_rank_spikes_first_and_rumours_rise_early() -> None:
    flat = [{"all:all": 10, "keyword:crue": 2, "rumour:barrage": 0} for _ in range(BASELINE_WINDOWS)]
    now = {"all:all": 11, "keyword:crue": 12, "rumour:barrage": 3}
    trends = trends_of([*flat, now])
    assert (trends[0].kind, trends[0].value, trends[0].spike) == ("keyword", "crue", True)
    assert next(t for t in trends if t.kind == "rumour").spike  # 3 against 0: rising
    assert not next(t for t in trends if t.kind == "all").spike
    assert WINDOW_S == 300


async def test_the_situation_json_and_the_metrics_show_the_intake(client: Any, ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    await add_signals(ctx.redis, keys, [parse_signal_line(line("crue a nantes"))])
    await login(client, ctx, "chef", Role.CELL)

    async def normalised() -> dict[str, Any] | None:
        body = await (await client.get("/api/situation")).json()
        return body if body["watch"]["intake"]["normalised"] == 1 else None
    body = await until(normalised)
    assert body["watch"]["latest"][0]["area"] == "44"
    headers = await bearer(ctx, "prom", Role.ADMIN)
    metrics = await (await client.get("/metrics", headers=headers)).text()
    assert "crisis_watch_signals_stream_length 1.0" in metrics
    assert "crisis_watch_signals_lag_seconds 0.0" in metrics


async def test_a_surging_phrase_reaches_the_situation_and_a_steady_one_does_not(
        ctx: Context) -> None:
    """Twenty minutes of steady talk, then "la digue cède" five times as often: after the
    normaliser's flush, one trend cycle puts the phrase in /api/situation's watch section."""
    from monitoring.term_store import TermTally, trend_cycle

    keys = WatchKeys(ctx.keys)
    now = dt.datetime.now(dt.timezone.utc)
    signals = []
    for minutes_ago in range(22, -1, -1):
        at = now - dt.timedelta(minutes=minutes_ago, seconds=1)
        dike = 4 if minutes_ago > 1 else 20
        signals += [line("Coupure de courant rue Pasteur", area="44", time=at.isoformat())] * 8
        signals += [line("Selon la mairie la digue cède près de Saumur", area="49", time=at.isoformat())] * dike
    await add_signals(ctx.redis, keys, [parse_signal_line(s) for s in signals])
    await ensure_group(ctx.redis, keys)
    tally = TermTally()
    while await normalise_once(ctx.redis, keys, keywords_key(ctx), consumer="t", block_ms=None,
                               tally=tally):
        pass
    await tally.flush(ctx.redis, keys)
    found = await trend_cycle(ctx.redis, keys, now_s=now.timestamp(), force=True)
    assert found is not None
    terms = {(t["scope"], t["term"]) for t in found}
    # Said as people wrote it (monitoring/term_forms.py), not as the stems counted.
    assert {scope for scope, term in terms if "digue cède" in term} == {"all", "source:social", "area:49"}
    assert not any("ced" in term.split() or "digu" in term.split() for _scope, term in terms)
    assert not any("coupure" in term or "courant" in term for _scope, term in terms)
    section = await watch_section(ctx.redis, keys)
    assert section["terms"]["warming_up"] is False
    assert any("digue cède" in t["term"] for t in section["terms"]["trending"])
