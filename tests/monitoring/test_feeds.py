"""RSS/Atom feeds polled over real HTTP on loopback: entries into the intake once (dedupe by
id), a conditional GET answered 304, a failing or non-feed URL marked unhealthy with its
reason without touching another feed, back-off, and the CLI's shapes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from crisis.context import Context
from crisis.errors import Conflict, InvalidInput
from monitoring.feed_polling import REASON_CODES, next_delay_s, poll
from monitoring.feeds import Feeds, parse_every
from monitoring.keys import WatchKeys
from monitoring.messages import MESSAGES

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Préfecture</title>
<language>fr</language>
<item><guid>a1</guid><title>Crue de la Loire à Nantes</title><link>http://x/a1</link>
<description>&lt;p&gt;Le pont est fermé&lt;/p&gt;</description><pubDate>Wed, 02 Dec 2026 10:00:00 GMT</pubDate></item>
<item><guid>a2</guid><title>Point de situation</title><link>http://x/a2</link></item>
</channel></rss>"""


@pytest.fixture
async def feed_server(aiohttp_server: Any) -> Any:
    hits: list[dict[str, str]] = []

    async def rss(request: web.Request) -> web.Response:
        hits.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(text=RSS, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Not a feed</body></html>", content_type="text/html")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_get("/rss", rss)
    app.router.add_get("/html", html)
    app.router.add_get("/broken", broken)
    server = await aiohttp_server(app)
    server.hits = hits
    return server


async def test_a_feed_is_read_once_then_answered_304(ctx: Context, feed_server: Any) -> None:
    keys = WatchKeys(ctx.keys)
    feeds = Feeds(ctx.redis, keys)
    feed = await feeds.add(str(feed_server.make_url("/rss")), name="prefecture", every_s=60)
    async with aiohttp.ClientSession() as session:
        first = await poll(ctx.redis, keys, session, feed)
        second = await poll(ctx.redis, keys, session, feed)
    assert (first.ok, first.new_entries) == (True, 2)
    assert (second.ok, second.not_modified, second.new_entries) == (True, True, 0)
    assert feed_server.hits[1]["If-None-Match"] == '"v1"'
    assert await ctx.redis.xlen(keys.signals) == 2
    listing = await feeds.listing()
    assert listing[0]["health"] == "ok" and listing[0]["entries"] == 2


async def test_the_same_entries_again_are_not_signals_twice(ctx: Context, feed_server: Any) -> None:
    keys = WatchKeys(ctx.keys)
    feed = await Feeds(ctx.redis, keys).add(str(feed_server.make_url("/rss")), name="p2")
    async with aiohttp.ClientSession() as session:
        await poll(ctx.redis, keys, session, feed)
        await ctx.redis.hset(keys.feed_state("p2"), "etag", "")  # as if the server forgot
        again = await poll(ctx.redis, keys, session, feed)
    assert again.ok and again.new_entries == 0 and await ctx.redis.xlen(keys.signals) == 2


async def test_failing_feeds_are_unhealthy_with_their_reason_and_others_go_on(
        ctx: Context, feed_server: Any) -> None:
    keys = WatchKeys(ctx.keys)
    feeds = Feeds(ctx.redis, keys)
    html = await feeds.add(str(feed_server.make_url("/html")), name="page")
    broken = await feeds.add(str(feed_server.make_url("/broken")), name="broken")
    good = await feeds.add(str(feed_server.make_url("/rss")), name="good")
    async with aiohttp.ClientSession() as session:
        outcomes = [await poll(ctx.redis, keys, session, f) for f in (html, broken, good)]
    assert [o.ok for o in outcomes] == [False, False, True]
    by_name = {f["name"]: f for f in await feeds.listing()}
    assert by_name["page"]["health"] == "unhealthy" and "not a feed" in by_name["page"]["reason"]
    assert by_name["broken"]["reason"] == "HTTP 500" and by_name["broken"]["failures"] == 1
    # The cell's pages say the reason in their language from its code.
    assert (by_name["broken"]["reason_code"], by_name["broken"]["reason_detail"]) == ("http", "500")
    assert by_name["page"]["reason_code"] == "not_feed" or by_name["page"]["reason_code"] == "no_feed_element"
    assert by_name["good"]["reason_code"] == ""
    assert by_name["good"]["health"] == "ok"
    assert next_delay_s(broken, 0) == 60 and next_delay_s(broken, 3) == 480
    assert next_delay_s(broken, 20) == 3600


async def test_feed_list_rules(ctx: Context) -> None:
    feeds = Feeds(ctx.redis, WatchKeys(ctx.keys))
    added = await feeds.add("https://www.example.fr/rss.xml")
    assert added.name == "example-fr"
    with pytest.raises(Conflict):
        await feeds.add("https://www.example.fr/rss.xml", name="other")
    with pytest.raises(InvalidInput):
        await feeds.add("ftp://example.fr/x")
    assert parse_every("60s") == 60 and parse_every("5m") == 300 and parse_every("1h") == 3600
    with pytest.raises(InvalidInput):
        parse_every("5s")
    await feeds.remove("example-fr")
    assert await feeds.all() == []


def test_every_failure_reason_has_its_text_in_french_and_english() -> None:
    for code in REASON_CODES:
        texts = MESSAGES[f"feeds.reason.{code}"]
        assert texts["fr"] and texts["en"] and texts["fr"] != texts["en"], code
