"""The watch in the situation view, in Debian's Chromium: the visible text of its figures,
a spike and a rising rumour named in words, the sparklines' text alternatives, a failing
feed with its reason, a feed's skipped entries counted; accessible (axe) and within 320 px."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from typing import Any

import pytest
from playwright.async_api import expect

from crisis.context import Context
from crisis.settings import Settings
from monitoring.detection import BASELINE_WINDOWS, WINDOW_S, window_of
from monitoring.feeds import Feeds
from monitoring.keys import WatchKeys
from monitoring.term_trends import SEP
from monitoring.watchlist import Claim, Rumours
from tests.support.browser import axe_violations, scroll_to, signed_in_page

async def _history(ctx: Context) -> None:
    """An hour of steady counts, then a jump of the keyword "crue" and of a rumour now.
    The page is read for up to a minute after: the jump is written in a window that lasts
    that long (a new window would hold none of it; seen in CI at 02:50:00)."""
    left_s = WINDOW_S - time.time() % WINDOW_S
    if left_s < 60:
        await asyncio.sleep(left_s + 0.5)
    keys = WatchKeys(ctx.keys)
    now = window_of(dt.datetime.now(dt.timezone.utc).timestamp())
    for offset in range(BASELINE_WINDOWS, 0, -1):
        await ctx.redis.hset(keys.counts(str(now - offset)),
                             mapping={"all:all": 10, "keyword:crue": 2, "source:rss": 10})
    await ctx.redis.hset(keys.counts(str(now)), mapping={
        "all:all": 12, "keyword:crue": 14, "source:rss": 12, "rumour:barrage": 4})
    await Rumours(ctx.redis, keys).put(Claim(id="barrage", claim="le barrage va céder"))
    feeds = Feeds(ctx.redis, keys)
    await feeds.add("http://127.0.0.1:9/rss", name="radio-locale")
    await ctx.redis.hset(keys.feed_state("radio-locale"),
                         mapping={"health": "unhealthy", "reason": "HTTP 500"})
    await feeds.add("http://127.0.0.1:9/prefecture.xml", name="prefecture")
    await ctx.redis.hset(keys.feed_state("prefecture"), mapping={
        "health": "ok", "entries": 12, "skipped": '{"no_text": 3, "bad_date": 1}'})
    assert WINDOW_S == 300
    minute = int(dt.datetime.now(dt.timezone.utc).timestamp() // 60)
    for offset in range(22, -1, -1):  # twenty steady minutes, then "digue cède" 15 x as often
        await ctx.redis.hset(keys.term_minute(str(minute - offset)), mapping={
            f"all{SEP}digu ced": 2 if offset > 1 else 30, f"all{SEP}coupur": 10})


@pytest.mark.browser
@pytest.mark.slow
async def test_the_cell_reads_spikes_rumours_and_feeds_in_chromium(
        aiohttp_server: Any, ctx: Context, settings: Settings, redis_url: str) -> None:
    await _history(ctx)
    async with signed_in_page(aiohttp_server, ctx, settings, redis_url, "/cell/situation",
                              timeout_ms=5000) as (page, base):
        await expect(page.get_by_role("heading", name="Veille")).to_be_visible()
        spikes = page.locator("#watch-spike-list")
        await expect(spikes).to_contain_text("Mot-clé : crue")
        await expect(spikes).not_to_contain_text("Tous les signaux")
        await expect(page.locator("#watch-trend-table")).to_contain_text("pic")
        rumour = page.locator("#watch-rumour-list li").first
        await expect(rumour).to_contain_text("« le barrage va céder » · 4 mentions dans la fenêtre")
        await expect(rumour).to_contain_text("en hausse")
        spark = page.get_by_role("img", name="crue", exact=True)
        await expect(spark).to_have_count(1)
        await expect(spark).to_have_accessible_description(
            re.compile(r"^2, 2, .*, 14 \(signaux par fenêtre"))
        await expect(page.locator("#watch-feed-list")).to_contain_text(
            "radio-locale · en échec (HTTP 500)")
        await expect(page.locator("#watch-feed-list")).to_contain_text(
            "prefecture · en bonne santé · 12 · entrées sans texte, ignorées : 3"
            " · dates illisibles ou futures, datées à la lecture : 1")
        await scroll_to(page, "watch-feed-list")
        await page.screenshot(path="/tmp/screens/feedbad-feeds.png")
        await expect(page.locator("#watch-term-table")).to_contain_text(
            re.compile(r"digu ced\s*Tous les signaux\s*60"))
        await expect(page.locator("#watch-term-table")).not_to_contain_text("coupur")
        await scroll_to(page, "watch-terms")
        await page.screenshot(path="/tmp/screens/watch-terms.png")
        assert await axe_violations(page) == []
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.goto(f"{base}/cell/situation")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await page.goto(f"{base}/cell/situation?lang=en")
        await expect(page.locator("#watch-spike-list")).to_contain_text("Keyword: crue")
