"""The cell's feeds page in Debian's Chromium: the cell adds a feed with the keyboard (its
first poll queued), reads it in the list, sees a bad address refused on the form with the
reason, sees the feed healthy with its entries once read and a failing one with its reason,
and removes one; accessible (axe)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import expect
from rq import Queue

from crisis.context import Context
from crisis.jobs import queue_name
from crisis.redis_client import sync_redis
from crisis.settings import Settings
from monitoring.feed_polling import poll
from monitoring.feeds import POLL_JOB, Feeds
from monitoring.keys import WatchKeys
from tests.support.browser import axe_violations, signed_in_page

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Préfecture</title>
<item><guid>a1</guid><title>Crue de la Loire à Nantes</title><link>http://x/a1</link></item>
<item><guid>a2</guid><title>Point de situation</title><link>http://x/a2</link></item>
</channel></rss>"""


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_adds_reads_and_removes_feeds_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:

    async def rss(request: web.Request) -> web.Response:
        return web.Response(text=RSS, content_type="application/rss+xml")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503)
    source = web.Application()
    source.router.add_get("/rss", rss)
    source.router.add_get("/broken", broken)
    feeds_server = await aiohttp_server(source)
    keys = WatchKeys(ctx.keys)
    async with signed_in_page(aiohttp_server, ctx, settings, redis_url, "/cell/situation",
                              timeout_ms=8000) as (page, base):
        await page.get_by_role("link", name="Gérer les flux suivis").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Flux RSS et Atom suivis")
        await expect(page.locator("#feeds-none")).to_be_visible()

        # A bad address: refused on the form, with the reason, the typed values kept.
        await page.get_by_label("Adresse du flux").fill("ftp://example.org/feed")
        await page.get_by_label("Adresse du flux").evaluate("e => e.type = 'text'")  # past the browser's own check
        await page.get_by_role("button", name="Suivre ce flux").click()
        await expect(page.get_by_role("alert")).to_contain_text("a feed URL must be an http(s) address")
        await expect(page.get_by_label("Adresse du flux")).to_have_value("ftp://example.org/feed")

        # Two good ones, with the keyboard: typed, then Enter.
        for name, path in (("prefecture", "/rss"), ("en-panne", "/broken")):
            await page.get_by_label("Adresse du flux").fill(str(feeds_server.make_url(path)))
            await page.get_by_label("Nom court").fill(name)
            await page.get_by_label("Lu toutes les").fill("5m")
            await page.get_by_label("Lu toutes les").press("Enter")
            await expect(page.locator(f"#feed-{name}")).to_contain_text("pas encore lu")
        await expect(page.locator("#feed-prefecture")).to_contain_text("300 s")
        queue = Queue(queue_name(ctx.keys, "default"), connection=sync_redis(redis_url, decode=False))
        queued = [job for job in queue.get_jobs()
                  if job.func_name == POLL_JOB]
        assert sorted(job.args[0] for job in queued) == ["en-panne", "prefecture"]

        # What the workers would do: one poll each; the page shows what came of it.
        async with aiohttp.ClientSession() as session:
            for feed in await Feeds(ctx.redis, keys).all():
                await poll(ctx.redis, keys, session, feed)
        await page.reload()
        row = page.locator("#feed-prefecture")
        await expect(row.get_by_role("cell").nth(0)).to_have_text("en bonne santé")
        await expect(row.get_by_role("cell").nth(2)).to_have_text("2")
        await expect(page.locator("#feed-en-panne")).to_contain_text(
            "en échec (le site répond HTTP 503) · 1 échec de suite")
        await page.screenshot(path="/tmp/screens/feeds-page.png", full_page=True)
        assert await axe_violations(page) == []

        await page.goto(f"{base}/cell/feeds?lang=en")
        await expect(page.locator("#feed-en-panne")).to_contain_text(
            "failing (the site answers HTTP 503) · 1 failure in a row")
        await page.get_by_role("button", name="Remove en-panne").click()
        await expect(page.locator("#feed-en-panne")).to_have_count(0)
        await expect(page.locator("#feed-prefecture")).to_be_visible()
        assert [f.name for f in await Feeds(ctx.redis, keys).all()] == ["prefecture"]
