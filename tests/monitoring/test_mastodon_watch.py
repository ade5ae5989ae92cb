"""The watch's Mastodon source through the real Mastodon.py against a stand-in instance on
loopback: statuses become signals once, a hashtag per keyword, search only with a token, the
rate limit respected (no request while it is spent, the next run at the reset), failures and
bad statuses as a clear health reason, never a crash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from rq import Queue

from crisis.jobs import queue_name
from crisis.redis_client import sync_redis
from crisis.settings import Secret, Settings, load_settings
from crisis.errors import ConfigError
from crisis.context import open_context
from crisis.types import Event, EventType
from crisis.worker_context import WorkerContext
from monitoring import mastodon_watch
from monitoring.keys import WatchKeys
from monitoring.messages import MESSAGES
from monitoring.mastodon_state import JOB, ensure_chain, mastodon_health, mastodon_state
from monitoring.mastodon_statuses import hashtag_of, plain_text
from monitoring.mastodon_watch import (client_for, delay_after, next_delay_s, read_mastodon,
                                       watch_mastodon_job)
from monitoring.signal import Signal, decode_signal
from monitoring.watch_keywords import keywords_key_of, update_watch_keywords
from tests.monitoring.mastodon_standin import StandIn, standin_app

import redis.asyncio as aioredis


@pytest.fixture
async def instance(aiohttp_server: Any) -> Any:
    state = StandIn()
    server = await aiohttp_server(standin_app(state))
    state.base = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    return state


def _settings(settings: Settings, instance: Any, token: str | None = None) -> Settings:
    return dataclasses.replace(settings, mastodon_api_base=instance.base,
                               mastodon_access_token=Secret(token) if token else None)


async def _intake(redis: aioredis.Redis, keys: WatchKeys) -> list[Signal]:
    return [decode_signal(fields["s"]) for _, fields in await redis.xrange(keys.signals)]


def _timeline_requests(instance: StandIn) -> list[str]:
    return [r for r in instance.requests if "/timelines/" in r or "/search" in r]


async def test_statuses_become_signals_once(ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    instance.add_status("<p>Crue à Nantes&nbsp;: le pont est fermé <a href='x'>#inondation</a></p>"
                        "<script>alert('pwned')</script>", tags=("inondation",), followers=1200)
    instance.add_status("<p>Point de situation</p><p>évacuation rue du Port</p>",
                        tags=("inondation", "evacuation"), bot=True, followers=5, language="FR")
    instance.add_status("<p>Niveau de la Seine en hausse</p>", tags=("cruedelaseine",),
                        language=None)
    api = client_for(_settings(settings, instance))
    words = {"inondation", "Évacuation", "Crue de la Seine"}

    first = await read_mastodon(ctx.redis, keys, api, words, with_search=False)
    assert (first.ok, first.health, first.new_statuses, first.queries) == (True, "ok", 3, 3)
    signals = sorted(await _intake(ctx.redis, keys), key=lambda s: s.text)
    assert [s.text for s in signals] == [
        "Crue à Nantes : le pont est fermé #inondation",
        "Niveau de la Seine en hausse",
        "Point de situation évacuation rue du Port"]
    crue, seine, point = signals
    assert (crue.source, crue.author_kind, crue.reach, crue.lang) == ("mastodon", "person", 1200, "fr")
    assert (point.author_kind, point.reach, point.lang) == ("bot", 5, "fr")
    assert seine.lang == "" and seine.url.startswith("https://example.social/@alice/")
    assert crue.time <= dt.datetime.now(dt.timezone.utc)

    second = await read_mastodon(ctx.redis, keys, api, words, with_search=False)
    assert (second.ok, second.new_statuses) == (True, 0)
    assert len(await _intake(ctx.redis, keys)) == 3
    assert all("min_id=" in r for r in _timeline_requests(instance)[-3:])

    instance.add_status("<p>Nouvelle crue</p>", tags=("inondation",))
    third = await read_mastodon(ctx.redis, keys, api, words, with_search=False)
    assert third.new_statuses == 1
    health = await mastodon_health(ctx.redis, keys)
    assert health is not None and (health["health"], health["statuses"]) == ("ok", 4)


async def test_one_hashtag_timeline_per_keyword_and_no_search_without_token(
        ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    instance.add_status("<p>Le barrage tient</p>")  # no tag: only a search finds it
    api = client_for(_settings(settings, instance))
    outcome = await read_mastodon(ctx.redis, keys, api, {"Évacuation", "cœur de ville", "barrage",
                                                         "2024"}, with_search=False)
    assert outcome.new_statuses == 0
    paths = sorted(r.split("?")[0] for r in _timeline_requests(instance))
    assert paths == ["/api/v1/timelines/tag/barrage", "/api/v1/timelines/tag/coeurdeville",
                     "/api/v1/timelines/tag/evacuation"]
    assert hashtag_of("2024") is None and hashtag_of("l'eau du robinet") == "leaudurobinet"


async def test_search_reads_with_a_token_and_a_wrong_token_is_a_clear_reason(
        ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    instance.add_status("<p>Le barrage tient encore</p>")
    with_token = client_for(_settings(settings, instance, instance.token))
    outcome = await read_mastodon(ctx.redis, keys, with_token, {"barrage"}, with_search=True)
    assert (outcome.ok, outcome.new_statuses) == (True, 1)
    assert any(r.startswith("/api/v2/search?q=barrage") and "type=statuses" in r
               for r in instance.requests)

    wrong = client_for(_settings(settings, instance, "not-the-token"))
    failed = await read_mastodon(ctx.redis, keys, wrong, {"digue"}, with_search=True)
    assert (failed.ok, failed.health) == (False, "unhealthy")
    assert failed.reason == "token refused by the instance (HTTP 401): check MASTODON_ACCESS_TOKEN"


async def test_a_spent_budget_stops_the_run_and_no_request_is_sent_until_the_reset(
        ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    for tag in ("crue", "digue", "pluie", "vent"):
        instance.add_status(f"<p>#{tag}</p>", tags=(tag,))
    instance.limit = 3  # the instance answer, then two timelines, then the budget is spent
    api = client_for(_settings(settings, instance))
    outcome = await read_mastodon(ctx.redis, keys, api, {"crue", "digue", "pluie", "vent"},
                                  with_search=False)
    assert (outcome.health, outcome.new_statuses) == ("limited", 2)
    assert outcome.resume_at == pytest.approx(instance.reset_at, abs=2)
    assert 290 <= delay_after(outcome, 60, 0) <= 302
    sent = len(instance.requests)

    again = await read_mastodon(ctx.redis, keys, client_for(_settings(settings, instance)),
                                {"crue", "digue", "pluie", "vent"}, with_search=False)
    assert again.health == "limited" and len(instance.requests) == sent  # nothing sent
    health = await mastodon_health(ctx.redis, keys)
    assert health is not None and health["reason"].startswith("rate limit spent; next read at ")

    instance.reset_at, instance.limit = time.time() - 1, 10  # the window turns
    await ctx.redis.hset(keys.mastodon_state, "rate_reset", f"{time.time() - 1:.0f}")
    resumed = await read_mastodon(ctx.redis, keys, client_for(_settings(settings, instance)),
                                  {"crue", "digue", "pluie", "vent"}, with_search=False)
    assert (resumed.health, resumed.new_statuses) == ("ok", 2)
    resumed_paths = [r.split("?")[0] for r in _timeline_requests(instance)[-4:]]
    assert resumed_paths[0] == "/api/v1/timelines/tag/pluie"  # where the spent budget stopped


async def test_a_429_is_a_pause_until_the_reset_not_a_failure(
        ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    instance.remaining, instance.reset_at = 0, time.time() + 120
    api = client_for(_settings(settings, instance))
    outcome = await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)
    assert (outcome.ok, outcome.health) == (True, "limited")
    assert outcome.reason.startswith("rate limited (HTTP 429); next read at ")
    assert 100 <= delay_after(outcome, 60, 0) <= 122
    state = await mastodon_state(ctx.redis, keys)
    assert state.get("failures", "0") == "0"


@pytest.mark.parametrize(("failure", "reason"), [
    (500, "HTTP 500 from the instance"),
    (503, "HTTP 503 from the instance"),
    ("garbage", "the instance answered something that is not JSON"),
    ("huge", "answer larger than 5 MiB: not read"),
    ("slow", "no answer within 20 s (timeout)"),
])
async def test_a_failing_instance_is_unhealthy_with_its_reason_then_recovers(
        ctx: Any, settings: Settings, instance: StandIn, failure: int | str, reason: str) -> None:
    keys = WatchKeys(ctx.keys)
    instance.add_status("<p>#crue</p>", tags=("crue",))
    api = client_for(_settings(settings, instance))
    api.request_timeout = 1  # what REQUEST_TIMEOUT_S is in production, shortened for "slow"
    await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)  # instance read, cached
    instance.add_status("<p>encore #crue</p>", tags=("crue",))
    instance.fail_next = [failure]
    failed = await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)
    assert (failed.ok, failed.health, failed.reason) == (False, "unhealthy", reason)
    assert (await mastodon_health(ctx.redis, keys) or {})["reason"] == reason
    assert next_delay_s(60, 1) == 120 and next_delay_s(60, 20) == 3600
    recovered = await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)
    assert (recovered.health, recovered.new_statuses) == ("ok", 1)  # the missed one, not lost
    assert (await mastodon_state(ctx.redis, keys))["failures"] == "0"


async def test_an_unreachable_instance_is_a_clear_reason(ctx: Any, settings: Settings) -> None:
    keys = WatchKeys(ctx.keys)
    api = client_for(dataclasses.replace(settings, mastodon_api_base="http://127.0.0.1:9"))
    outcome = await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)
    assert outcome.health == "unhealthy" and outcome.reason.startswith("unreachable: ")


async def test_bad_statuses_are_skipped_and_counted_the_good_ones_read(
        ctx: Any, settings: Settings, instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    good = instance.add_status("<p>#crue ok</p>", tags=("crue",))
    for broken in ({"content": ""}, {"created_at": "hier"}, {"content": "<script>x</script>"},
                   {"account": "nobody", "language": "français"}):
        status = instance.add_status("<p>#crue</p>", tags=("crue",))
        status.update(broken)
    api = client_for(_settings(settings, instance))
    outcome = await read_mastodon(ctx.redis, keys, api, {"crue"}, with_search=False)
    assert (outcome.ok, outcome.new_statuses, outcome.skipped) == (True, 2, 3)
    texts = sorted(s.text for s in await _intake(ctx.redis, keys))
    assert texts == ["#crue", "#crue ok"] and good["id"]
    assert (await mastodon_health(ctx.redis, keys) or {})["skipped"] == 3


def test_plain_text_drops_markup_and_scripts_and_is_bounded() -> None:
    assert plain_text("<p>a&amp;b<br>c</p><style>p{}</style><script>alert(1)</script>d") == "a&b c d"
    assert len(plain_text("<p>" + "x " * 200_000 + "</p>")) == 10_000


async def test_the_job_runs_then_schedules_its_next_run_at_the_reset(
        ctx: Any, settings: Settings, instance: StandIn, redis_url: str) -> None:
    keys = WatchKeys(ctx.keys)
    await ctx.redis.hset(keywords_key_of(ctx.keys), "c1", '["crue", "digue"]')
    instance.add_status("<p>#crue</p>", tags=("crue",))
    chains: list[str] = []

    async def enqueue(chain: str) -> None:
        chains.append(chain)
    chain = await ensure_chain(ctx.redis, keys, enqueue)
    assert chain is not None and chains == [chain]
    assert await ensure_chain(ctx.redis, keys, enqueue) is None  # alive: not started twice

    context = WorkerContext(_settings(settings, instance), redis_url)
    try:
        instance.limit = 2  # the instance answer and the timeline: then spent
        result = await watch_mastodon_job(context, chain)
        assert (result["health"], result["new_statuses"]) == ("limited", 1)
        assert (await watch_mastodon_job(context, "an-old-chain")) == {"stopped": "an-old-chain"}
    finally:
        if context._redis is not None:
            await context._redis.aclose()
        context.loop.close()
    queue = Queue(queue_name(ctx.keys, "default"), connection=sync_redis(redis_url, decode=False))
    registry = queue.scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    assert queue.fetch_job(job_id).func_name == JOB  # type: ignore[union-attr]
    due = registry.get_scheduled_time(job_id).timestamp()
    assert due == pytest.approx(instance.reset_at, abs=3)


def test_a_token_needs_its_instance() -> None:
    with pytest.raises(ConfigError, match="MASTODON_API_BASE: required"):
        load_settings({"MASTODON_ACCESS_TOKEN": "x"})
    settings = load_settings({"MASTODON_API_BASE": "https://mastodon.example/", "MASTODON_EVERY_S": "120"})
    assert (settings.mastodon_api_base, settings.mastodon_every_s) == ("https://mastodon.example", 120)


async def test_a_lost_chain_is_started_again_and_the_old_one_stops(
        ctx: Any, settings: Settings, instance: StandIn, redis_url: str) -> None:
    keys = WatchKeys(ctx.keys)
    started: list[str] = []

    async def enqueue(chain: str) -> None:
        started.append(chain)
    old = await ensure_chain(ctx.redis, keys, enqueue)
    await ctx.redis.hset(keys.mastodon_state, "due", f"{time.time() - 301:.0f}")  # its run lost
    assert await ensure_chain(ctx.redis, keys, enqueue) is None  # another process is starting one
    await ctx.redis.delete(keys.mastodon_starting)  # a minute later
    new = await ensure_chain(ctx.redis, keys, enqueue)
    assert new is not None and started == [old, new] and new != old
    context = WorkerContext(_settings(settings, instance), redis_url)
    try:
        assert await watch_mastodon_job(context, str(old)) == {"stopped": old}
    finally:
        if context._redis is not None:
            await context._redis.aclose()
        context.loop.close()
    assert instance.requests == []


def test_every_reason_the_source_gives_has_its_text_in_french_and_english() -> None:
    source = Path(mastodon_watch.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'Reason\("(\w+)"', source)) | set(re.findall(r'"(limited(?:_429)?)"', source))
    codes |= set(re.findall(r'else "(no_keyword)"', source))
    assert {"token", "http", "limited", "limited_429", "no_keyword"} <= codes
    for code in codes:
        texts = MESSAGES[f"mastodon.reason.{code}"]
        assert texts["fr"] and texts["en"] and texts["fr"] != texts["en"], code


async def test_an_activated_crisis_is_read_at_once_not_at_the_next_run(
        ctx: Any, settings: Settings, instance: StandIn, redis_url: str) -> None:
    """A crisis's keywords reach Mastodon in the run its activation starts: the chain that
    was waiting for its next run (up to MASTODON_EVERY_S) stops on its token."""
    keys = WatchKeys(ctx.keys)
    old = await ensure_chain(ctx.redis, keys, _nothing)
    events = open_context(_settings(settings, instance), redis_url)  # the events process's
    try:
        activated = Event(type=EventType.CRISIS_ACTIVATED, at=dt.datetime.now(dt.timezone.utc),
                          actor="cell", subject="c1", data={"scenario": "inondation"})
        await update_watch_keywords(events, activated)
        new = (await mastodon_state(ctx.redis, keys))["chain"]
        assert new != old
        re_escalated = Event(type=EventType.CRISIS_RE_ESCALATED, at=activated.at, actor="cell",
                             subject="c1", data={"scenario": "inondation"})
        await update_watch_keywords(events, re_escalated)  # the same keywords: nothing new
        assert (await mastodon_state(ctx.redis, keys))["chain"] == new
    finally:
        await events.close()
    queue = Queue(queue_name(ctx.keys, "default"), connection=sync_redis(redis_url, decode=False))
    assert [(job.func_name, job.args) for job in queue.get_jobs()] == [(JOB, (new,))]
    instance.add_status("<p>#inondation à Nantes</p>", tags=("inondation",))
    context = WorkerContext(_settings(settings, instance), redis_url)
    try:
        assert await watch_mastodon_job(context, str(old)) == {"stopped": old}
        assert (await watch_mastodon_job(context, new))["new_statuses"] == 1
    finally:
        if context._redis is not None:
            await context._redis.aclose()
        context.loop.close()


async def test_without_mastodon_an_activation_starts_no_run(ctx: Any, redis_url: str) -> None:
    activated = Event(type=EventType.CRISIS_ACTIVATED, at=dt.datetime.now(dt.timezone.utc),
                      actor="cell", subject="c1", data={"scenario": "inondation"})
    await update_watch_keywords(ctx, activated)
    assert await ctx.redis.hexists(keywords_key_of(ctx.keys), "c1")
    assert await mastodon_state(ctx.redis, WatchKeys(ctx.keys)) == {}
    queue = Queue(queue_name(ctx.keys, "default"), connection=sync_redis(redis_url, decode=False))
    assert queue.count == 0


async def _nothing(chain: str) -> None:
    return None
