"""The Mastodon source as the cell sees it: the events process starts its chain of runs when
MASTODON_API_BASE is set (and not otherwise), /api/situation gives its health, and the
situation view shows its line (health, reason, statuses read) in Debian's Chromium."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo
from typing import Any

import pytest
from playwright.async_api import expect
from rq import Queue

from crisis.context import Context
from crisis.local_time import local_time
from crisis.jobs import queue_name
from crisis.redis_client import sync_redis
from crisis.settings import Secret, Settings
from crisis.types import Role
from monitoring.keys import WatchKeys
from monitoring.mastodon_state import JOB
from monitoring.mastodon_watch import client_for, read_mastodon
from monitoring.watch_keywords import keywords_key_of
from tests.conftest import login
from tests.monitoring.mastodon_standin import StandIn, standin_app
from tests.support.browser import axe_violations, scroll_to, signed_in_page
from tests.channels.test_sms import run_worker_burst
from tests.support.polling import until

@pytest.fixture
async def instance(aiohttp_server: Any) -> Any:
    state = StandIn()
    server = await aiohttp_server(standin_app(state))
    state.base = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    return state


def _queued_runs(ctx: Context, redis_url: str) -> list[str]:
    queue = Queue(queue_name(ctx.keys, "default"), connection=sync_redis(redis_url, decode=False))
    return [job.func_name for job in queue.get_jobs()]


async def test_the_events_process_starts_the_chain_and_a_real_worker_reads_the_instance(
        aiohttp_client: Any, ctx: Context, settings: Settings, env: dict[str, str],
        redis_url: str, instance: Any) -> None:
    from crisis.app import build_app
    await aiohttp_client(build_app(settings, redis_url))  # MASTODON_API_BASE unset
    assert JOB not in _queued_runs(ctx, redis_url)

    await ctx.redis.hset(keywords_key_of(ctx.keys), "crisis-1", '["inondation"]')
    instance.add_status("<p>Crue à Nantes <a href='#'>#inondation</a></p>", tags=("inondation",))
    configured = dataclasses.replace(settings, mastodon_api_base=instance.base,
                                     mastodon_access_token=Secret(instance.token))
    client = await aiohttp_client(build_app(configured, redis_url))
    await until(lambda: _async(JOB in _queued_runs(ctx, redis_url)))
    assert _queued_runs(ctx, redis_url).count(JOB) == 1
    await login(client, ctx, "chef", Role.CELL)
    line = (await (await client.get("/api/situation")).json())["watch"]["mastodon"]
    assert (line["name"], line["health"], line["statuses"]) == ("mastodon", "new", 0)

    await run_worker_burst({**env, "MASTODON_API_BASE": instance.base,
                            "MASTODON_ACCESS_TOKEN": instance.token})

    async def latest_from_mastodon() -> list[dict[str, Any]]:
        body = await (await client.get("/api/situation")).json()
        return [s for s in body["watch"]["latest"] if s["source"] == "mastodon"]
    (signal,) = await until(latest_from_mastodon)
    assert (signal["text"], signal["area"]) == ("Crue à Nantes #inondation", "44")
    body = await (await client.get("/api/situation")).text()
    line = json.loads(body)["watch"]["mastodon"]
    assert (line["health"], line["statuses"], line["queries"]) == ("ok", 1, 2)  # tag + search
    assert instance.token not in body
    assert any(r.startswith("/api/v2/search?q=inondation") for r in instance.requests)


async def _async(value: bool) -> bool:
    return value


@pytest.mark.browser
async def test_the_cell_reads_the_mastodon_line_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str,
        instance: StandIn) -> None:
    keys = WatchKeys(ctx.keys)
    instance.add_status("<p>Crue à Nantes #inondation</p>", tags=("inondation",))
    instance.add_status("<p>Évacuation en cours #inondation</p>", tags=("inondation",), bot=True)
    api = client_for(dataclasses.replace(settings, mastodon_api_base=instance.base))
    assert (await read_mastodon(ctx.redis, keys, api, {"inondation"}, with_search=False)).new_statuses == 2
    instance.fail_next = [500]
    await read_mastodon(ctx.redis, keys, api, {"inondation"}, with_search=False)

    async with signed_in_page(aiohttp_server, ctx, settings, redis_url, "/cell/situation",
                              timeout_ms=5000) as (page, base):
        line = page.locator("#watch-mastodon")
        await expect(line).to_contain_text(
            "Mastodon · en échec (l'instance répond HTTP 500) · messages lus : 2 · dernière lecture")
        await scroll_to(page, "watch-mastodon")
        await page.screenshot(path="/tmp/screens/mastodon-failing.png")

        instance.remaining, instance.reset_at = 0, instance.reset_at + 600
        await read_mastodon(ctx.redis, keys, api, {"inondation"}, with_search=False)
        await page.goto(f"{base}/cell/situation?lang=en")
        # The reset in the centre's zone (Paris), as every time on the page.
        reset = local_time(dt.datetime.fromtimestamp(instance.reset_at, dt.timezone.utc),
                           ZoneInfo("Europe/Paris"), "en", "time")
        await expect(line).to_contain_text(
            f"Mastodon · paused (the instance's rate limit) (rate limited (HTTP 429); next read at {reset})")
        await expect(line).to_contain_text("statuses read: 2")
        await scroll_to(page, "watch-mastodon")
        await page.screenshot(path="/tmp/screens/mastodon-limited.png")
        assert await axe_violations(page) == []


async def _crisis(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`crisis ARGS` in a subprocess, awaited (the stand-in answers on this loop meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisis", *args, env={**env, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_mastodon_check_reads_the_instance_once_and_names_what_fails(
        env: dict[str, str], instance: StandIn) -> None:
    instance.add_status("<p>#crue</p>", tags=("crue",))
    configured = {**env, "MASTODON_API_BASE": instance.base}  # type: ignore[attr-defined]
    code, out, err = await _crisis(configured, "mastodon", "check", "Crue", "Évacuation")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "instance  example.social, version 4.3.2: reachable",
        "hashtag   #crue: 1 recent statuses", "hashtag   #evacuation: 0 recent statuses",
        "search    off (no MASTODON_ACCESS_TOKEN: hashtags only)"]
    assert out.splitlines()[4].startswith("budget    ")

    wrong = {**configured, "MASTODON_ACCESS_TOKEN": "not-the-token"}
    code, out, err = await _crisis(wrong, "mastodon", "check", "crue")
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("crisis: error: token refused by the instance "
                                            "(HTTP 401): check MASTODON_ACCESS_TOKEN")
    code, _, err = await _crisis(env, "mastodon", "check")
    assert code == 1 and "MASTODON_API_BASE is not set" in err.strip().splitlines()[-1]
