"""The demo watch: the feed served by the centre (demo mode only), the demo rumour, polls and
feed registered once, and the shipped signal stream played by one process at a steady pace."""

from __future__ import annotations

import asyncio
from typing import Any

import feedparser

from crisis.context import Context
from crisis.settings import load_settings
from monitoring.demo_watch import FEED_NAME, FEED_PATH, play_demo_signals, prepare_demo_watch
from monitoring.feeds import Feeds
from monitoring.keys import WatchKeys
from monitoring.polls import Polls
from monitoring.watchlist import Rumours
from tests.support.polling import until


async def test_the_demo_registers_its_feed_rumour_and_polls_once(ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    queued: list[tuple[str, str]] = []
    for _ in range(2):
        await prepare_demo_watch(ctx.redis, keys, "http://127.0.0.1:8080/",
                                 lambda name, chain: queued.append((name, chain)))
    feeds = await Feeds(ctx.redis, keys).listing()
    assert [(f["name"], f["url"]) for f in feeds] == [
        (FEED_NAME, "http://127.0.0.1:8080" + FEED_PATH)]
    assert [name for name, _ in queued] == [FEED_NAME]  # its chain is not doubled
    assert [c.claim for c in await Rumours(ctx.redis, keys).all()] == ["la digue va céder"]
    assert len(await Polls(ctx.redis, keys).all()) == 6


async def test_one_process_plays_the_stream_at_its_pace(ctx: Context) -> None:
    keys = WatchKeys(ctx.keys)
    stop = asyncio.Event()
    players = [asyncio.create_task(play_demo_signals(ctx.redis, keys, name, stop, pace_s=0.05))
               for name in ("events-a", "events-b")]
    await until(lambda: _at_least(ctx, keys, 6), timeout=10)
    stop.set()
    await asyncio.gather(*players)
    written = await ctx.redis.xlen(keys.signals)
    entries = await ctx.redis.xrange(keys.signals)
    texts = [str(e[1]["s"]) for e in entries]
    # One player only: the stream's first lines in order, none twice.
    assert len(set(texts)) == written
    assert '"source":"social"' in texts[0] and "La Seine monte" in texts[0]


async def _at_least(ctx: Context, keys: WatchKeys, count: int) -> bool | None:
    return True if await ctx.redis.xlen(keys.signals) >= count else None


async def test_the_feed_is_served_in_demo_mode_only(aiohttp_client: Any, env: dict[str, str],
                                                    redis_url: str, client: Any) -> None:
    from crisis.app import build_app
    assert (await client.get(FEED_PATH)).status == 404
    demo = await aiohttp_client(build_app(load_settings({**env, "CRISIS_DEMO_WATCH": "1"}),
                                          redis_url))
    response = await demo.get(FEED_PATH)
    assert response.status == 200 and response.content_type == "application/rss+xml"
    parsed = feedparser.parse(await response.read())
    assert not parsed.bozo and len(parsed.entries) == 5
