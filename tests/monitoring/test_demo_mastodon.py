"""The demo's Mastodon instance: read by the real Mastodon.py through the real watch code
(statuses become signals, the demo rumour found among them, new statuses picked up as they
appear), Mastodon's paging and rate-limit headers, search for the centre's API tokens only,
and served in demo mode only."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonUnauthorizedError

from crisis.context import Context
from crisis.demo import DEMO_MASTODON_PATH, DEMO_SCENARIO
from crisis.scenarios import get_scenario
from crisis.settings import Settings, load_settings
from crisis.types import Role
from monitoring.demo_mastodon import DOMAIN, demo_mastodon_app, demo_posts
from monitoring.demo_watch import DEMO_CLAIM
from monitoring.intake import ensure_group, normalise_once
from monitoring.keys import WatchKeys
from monitoring.mastodon_watch import client_for, read_mastodon
from monitoring.signal import decode_signal
from monitoring.watch_keywords import keywords_key_of
from monitoring.watch_situation import watch_section
from monitoring.watchlist import Rumours
from tests.conftest import bearer
from tests.support.polling import until


async def _normalised(ctx: Context, keys: WatchKeys) -> dict[str, Any]:
    while await normalise_once(ctx.redis, keys, keywords_key_of(ctx.keys), consumer="test",
                               block_ms=None):
        pass
    return await watch_section(ctx.redis, keys)


async def test_the_watch_reads_the_demo_instance_end_to_end(
        ctx: Context, settings: Settings, aiohttp_server: Any) -> None:
    keys = WatchKeys(ctx.keys)
    words = set(get_scenario(DEMO_SCENARIO).watch_keywords)
    await ctx.redis.hset(keywords_key_of(ctx.keys), "demo-crisis", json.dumps(sorted(words)))
    await Rumours(ctx.redis, keys).put(DEMO_CLAIM)
    await ensure_group(ctx.redis, keys)
    server = await aiohttp_server(demo_mastodon_app(pace_s=1.0))
    api = client_for(dataclasses.replace(settings,
                                         mastodon_api_base=str(server.make_url("")).rstrip("/")))

    first = await read_mastodon(ctx.redis, keys, api, words, with_search=False)
    assert (first.ok, first.health) == (True, "ok") and first.new_statuses >= len(demo_posts())
    entries: Any = await ctx.redis.xrange(keys.signals)
    read = [decode_signal(fields["s"]) for _, fields in entries]
    assert {s.source for s in read} == {"mastodon"}
    assert {post.text for post in demo_posts()} <= {s.text for s in read}  # each post, as text
    section = await _normalised(ctx, keys)
    rumour = next(r for r in section["rumours"] if r["id"] == DEMO_CLAIM.id)
    # Only the demo's dyke status states the claim; which statuses are the "latest" shown
    # depends on the clock (one more every pace), so the count is what is checked.
    assert rumour["count"] >= 1
    assert sum("la digue va céder" in post.text for post in demo_posts()) == 1
    assert section["mastodon"]["health"] == "ok"
    assert section["mastodon"]["statuses"] == first.new_statuses
    assert 0 < api.ratelimit_remaining < api.ratelimit_limit == 300  # Mastodon's headers read

    # New statuses appear over time (one a second here) and the next runs pick them up.
    later = await until(lambda: read_mastodon(ctx.redis, keys, api, words, with_search=False),
                        timeout=10, ok=lambda outcome: outcome.new_statuses > 0)
    assert later.ok and later.health == "ok"


async def test_the_demo_instance_pages_as_mastodon(aiohttp_server: Any) -> None:
    server = await aiohttp_server(demo_mastodon_app(pace_s=60.0))
    api = Mastodon(api_base_url=str(server.make_url("")).rstrip("/"),
                   version_check_mode="none", ratelimit_method="throw")
    newest = await asyncio.to_thread(api.timeline_hashtag, "inondation", limit=2)
    older = await asyncio.to_thread(api.fetch_next, newest)  # follows the Link header (max_id)
    assert older is not None and len(newest) == len(older) == 2
    ids = [int(s["id"]) for s in [*newest, *older]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    after = await asyncio.to_thread(api.timeline_hashtag, "inondation", min_id=str(ids[-1]),
                                    limit=40)
    assert [int(s["id"]) for s in after] == ids[:3]  # exactly the newer ones, no gap
    assert all(s["account"]["acct"].endswith("@" + DOMAIN) for s in after)


async def test_served_in_demo_mode_only_and_search_takes_a_centre_token(
        aiohttp_client: Any, aiohttp_server: Any, env: dict[str, str], redis_url: str,
        client: Any, ctx: Context) -> None:
    from crisis.app import build_app
    assert (await client.get(DEMO_MASTODON_PATH + "/api/v2/instance/")).status == 404
    assert (await client.get(DEMO_MASTODON_PATH + "/api/v1/timelines/tag/crue")).status == 404

    server = await aiohttp_server(build_app(load_settings({**env, "CRISIS_DEMO_WATCH": "1"}),
                                            redis_url))
    base = str(server.make_url(DEMO_MASTODON_PATH))
    anonymous = Mastodon(api_base_url=base, version_check_mode="none")
    # Mastodon.py blocks: in a thread, so the server on this loop can answer.
    assert (await asyncio.to_thread(anonymous.instance_v2))["domain"] == DOMAIN
    tagged = await asyncio.to_thread(anonymous.timeline_hashtag, "digue")
    assert tagged and all("/tags/digue" in s["content"] for s in tagged)
    with pytest.raises(MastodonUnauthorizedError):
        await asyncio.to_thread(anonymous.search_v2, "digue", result_type="statuses")
    token = (await bearer(ctx, "watch-demo", Role.OPERATOR))["Authorization"].removeprefix(
        "Bearer ")
    signed = Mastodon(api_base_url=base, access_token=token, version_check_mode="none")
    found = (await asyncio.to_thread(signed.search_v2, "digue va céder",
                                     result_type="statuses"))["statuses"]
    assert found and all("digue va céder" in s["content"] for s in found)
