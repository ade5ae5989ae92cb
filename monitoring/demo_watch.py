"""The demo watch (`crisis up --demo` only): a small RSS feed the centre serves itself, a
rumour to watch, demo polls, and a signal stream shipped as JSON Lines played at a steady
pace, so a newcomer sees the situation view's watch move without any real source.

Everything here runs only when the `demo_watch` setting is on (set by `crisis up --demo`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from importlib import resources
from typing import Final

import redis.asyncio as aioredis
from aiohttp import web

from crisis.errors import Conflict
from monitoring.feeds import Feeds
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.polls import Polls, parse_polls
from monitoring.signal import parse_signal_line
from monitoring.watchlist import Claim, Rumours

log = logging.getLogger(__name__)

FEED_PATH: Final = "/demo/watch/feed.xml"
FEED_NAME: Final = "demo-actualites"
PACE_S: Final = 2.0  # one demo signal every 2 s: 30 a minute, enough to move the windows
PLAYER_TTL_S: Final = 10  # the lock's lifetime: another process takes over 10 s after a crash
DEMO_CLAIM: Final = Claim(id="demo-digue", claim="la digue va céder",
                          variants=("le barrage va céder", "rupture de digue"))


def _data(name: str) -> str:
    return (resources.files("monitoring") / "data" / name).read_text(encoding="utf-8")


async def demo_feed(request: web.Request) -> web.Response:
    """GET /demo/watch/feed.xml: the shipped demo feed (no sign-in: a feed is public)."""
    return web.Response(text=_data("demo_feed.xml"), content_type="application/rss+xml")


def setup_demo_feed(app: web.Application) -> None:
    app.router.add_get(FEED_PATH, demo_feed)


async def prepare_demo_watch(redis: aioredis.Redis, keys: WatchKeys, base_url: str,
                             enqueue_poll: Callable[[str, str], None]) -> None:
    """The demo feed registered (its first poll queued), the demo rumour and polls: each
    only when absent, so a restarted demo keeps what the cell changed."""
    try:
        feed = await Feeds(redis, keys).add(base_url.rstrip("/") + FEED_PATH, name=FEED_NAME,
                                            every_s=60, author_kind="media")
        await asyncio.to_thread(enqueue_poll, feed.name, feed.chain)
    except Conflict:
        pass  # registered by an earlier demo run: its polling chain goes on
    rumours = Rumours(redis, keys)
    if all(claim.id != DEMO_CLAIM.id for claim in await rumours.all()):
        await rumours.put(DEMO_CLAIM)
    if not await redis.exists(keys.polls):
        await Polls(redis, keys).put(parse_polls(_data("demo_polls.csv")))


async def _hold_player(redis: aioredis.Redis, keys: WatchKeys, me: str) -> bool:
    """True while this process is the one player (several events processes may run)."""
    if await redis.set(keys.demo_player, me, nx=True, ex=PLAYER_TTL_S):
        return True
    holder = await redis.get(keys.demo_player)
    if holder is not None and (holder.decode() if isinstance(holder, bytes) else holder) == me:
        await redis.expire(keys.demo_player, PLAYER_TTL_S)
        return True
    return False


async def play_demo_signals(redis: aioredis.Redis, keys: WatchKeys, me: str,
                            stop: asyncio.Event, *, pace_s: float = PACE_S) -> None:
    """Write the shipped signals one by one, stamped now, every `pace_s`, round and round,
    until `stop`. A Redis error is logged and the stream goes on at the next tick."""
    lines = [json.loads(line) for line in _data("demo_signals.jsonl").splitlines() if line]
    index = 0
    while not stop.is_set():
        try:
            if await _hold_player(redis, keys, me):
                record = {**lines[index % len(lines)],
                          "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
                await add_signals(redis, keys, [parse_signal_line(json.dumps(record))])
                index += 1
        except Exception:  # a process edge: the demo must not die of one Redis hiccup
            log.exception("demo signal not written")
        try:
            await asyncio.wait_for(stop.wait(), timeout=pace_s)
        except TimeoutError:
            pass
