"""Polling one RSS/Atom feed: a conditional GET, feedparser, new entries into the intake.

`poll_feed_job` is the RQ job (one chain per feed: each poll schedules the next, after the
feed's interval, or after a back-off when it failed: interval x 2^failures, at most an hour).
`poll` does the work and is what the tests call. A feed that fails (network, HTTP error,
too large, not a feed) is marked unhealthy with its reason and its chain goes on; it never
touches another feed's chain.

Fetched with aiohttp rather than feedparser's own urllib: a size cap (MAX_FEED_BYTES, read
on the stream), a timeout, at most MAX_REDIRECTS redirects, and ETag / Last-Modified sent
back so an unchanged feed costs a 304. The cap counts the bytes after aiohttp's gzip/deflate
decoding, which aiohttp does a bounded step at a time: a gzip bomb stops at the cap. Entries
are deduplicated by id, else link, in a bounded sorted set per feed.

Bad input (docs/watch.md, "Bad input"): the XML goes through defusedxml's expat reader, which
refuses any entity declaration or external reference: feedparser keeps "simple" internal
entities, and 5 MiB of references to one 250-byte entity expand, under expat's own
amplification limit, to ~440 MB of text. At most MAX_ENTRIES_PER_POLL entries are read per
poll; entries without text or key are skipped, and counted in the feed's state.
"""

from __future__ import annotations

import asyncio
import calendar
import collections
import dataclasses
import datetime as dt
import html
import json
import logging
import re
from typing import Any, Final

import aiohttp
import defusedxml
import feedparser
import feedparser.api
import redis.asyncio as aioredis

from crisis.jobs import Jobs
from crisis.redis_client import sync_redis
from crisis.worker_context import WorkerContext, with_worker_context
from monitoring.feeds import POLL_JOB, Feed, Feeds
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.signal import MAX_TEXT_CHARS, MAX_URL_CHARS, Signal

log = logging.getLogger(__name__)

MAX_FEED_BYTES: Final = 5 * 1024 * 1024
TIMEOUT_S: Final = 20
MAX_REDIRECTS: Final = 5
MAX_BACKOFF_S: Final = 3600
SEEN_KEPT: Final = 5_000
MAX_ENTRIES_PER_POLL: Final = 1_000
USER_AGENT: Final = "crisis-centre-watch/0.1 (+feed reader)"
_TAGS = re.compile(r"<[^>]+>")

# feedparser reads this list on each parse (xml.sax.make_parser); a module's create_parser().
# defusedxml's reader raises DefusedXmlException (not a SAXException, so feedparser does not
# fall back to its loose parser) on an entity declaration or an external reference.
feedparser.api.PREFERRED_XML_PARSERS = ["defusedxml.expatreader"]


# Every failure's code: each has its text in monitoring/messages.py (`feeds.reason.<code>`).
REASON_CODES: Final = ("http", "too_large", "redirects", "unreachable", "entities", "not_feed",
                       "no_feed_element")


class FeedFailed(Exception):
    """The feed could not be read. The message is the reason in English (logs, the command
    line, the API); `code` and `detail` let the cell's pages say it in their language
    (monitoring/messages.py `feeds.reason.<code>`, `{detail}` in it)."""

    def __init__(self, message: str, *, code: str, detail: str = "") -> None:
        super().__init__(message)
        assert code in REASON_CODES, code  # a new failure needs its text in the messages
        self.code = code
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class PollOutcome:
    ok: bool
    new_entries: int = 0
    not_modified: bool = False
    reason: str = ""
    skipped: str = ""


async def fetch(session: aiohttp.ClientSession, url: str, etag: str,
                modified: str) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, validators: etag and modified); the body is empty for a 304. FeedFailed on any failure."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        async with session.get(url, headers=headers, max_redirects=MAX_REDIRECTS,
                               timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as response:
            validators = {"etag": response.headers.get("ETag", ""),
                          "modified": response.headers.get("Last-Modified", "")}
            if response.status == 304:
                return 304, b"", validators
            if response.status >= 400:
                raise FeedFailed(f"HTTP {response.status}", code="http",
                                 detail=str(response.status))
            mib = str(MAX_FEED_BYTES // (1024 * 1024))
            too_large = f"larger than {mib} MiB"
            if (response.content_length or 0) > MAX_FEED_BYTES:
                raise FeedFailed(too_large, code="too_large", detail=mib)
            body = bytearray()
            # Decoded bytes (after gzip): the cap applies to what the parser would get.
            async for chunk in response.content.iter_chunked(64 * 1024):
                body.extend(chunk)
                if len(body) > MAX_FEED_BYTES:
                    raise FeedFailed(too_large, code="too_large", detail=mib)
            return response.status, bytes(body), validators
    except aiohttp.TooManyRedirects:
        raise FeedFailed(f"more than {MAX_REDIRECTS} redirects", code="redirects",
                         detail=str(MAX_REDIRECTS)) from None
    except (aiohttp.ClientError, TimeoutError, asyncio.TimeoutError) as err:
        detail = f"{type(err).__name__} {str(err)[:120]}".strip()
        raise FeedFailed(f"unreachable: {detail}", code="unreachable", detail=detail) from None


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", text)).split())


def _entry_time(entry: Any, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """(time, whether the entry's date was bad): no date counts now; so does an unreadable
    date or one in the future (never in a later window), and that is counted."""
    # dict.get: feedparser's own get maps updated_parsed to published_parsed, with a warning.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if not parsed:
        return now, bool(dict.get(entry, "published") or dict.get(entry, "updated"))
    try:
        when = dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return now, True
    return (when, False) if when <= now else (now, True)


# Why entries of one read were skipped or changed: code -> English, for logs and the CLI
# (the situation view says them in French first: watch.skipped.CODE in messages.py).
SKIP_REASONS: Final = {
    "no_text": "entries without text, skipped",
    "no_key": "entries without id or link, skipped",
    "over_cap": f"entries over {MAX_ENTRIES_PER_POLL} per read, skipped",
    "cut": f"texts cut to {MAX_TEXT_CHARS} characters",
    "bad_date": "unreadable or future dates, dated at reading",
}


class Skipped(collections.Counter[str]):
    """Entries skipped or changed in one read, by SKIP_REASONS code."""

    def summary(self) -> str:
        return "; ".join(f"{SKIP_REASONS[code]}: {count}" for code, count in sorted(self.items()))


def entries_of(body: bytes, feed: Feed, now: dt.datetime,
               skipped: Skipped | None = None) -> list[tuple[str, Signal]]:
    """(dedupe key, signal) per entry; FeedFailed when the body is not a feed."""
    skipped = Skipped() if skipped is None else skipped
    try:
        parsed = feedparser.parse(body)
    except defusedxml.DefusedXmlException as refused:
        raise FeedFailed("refused: the XML declares entities or refers to an external "
                         f"document ({type(refused).__name__})", code="entities",
                         detail=type(refused).__name__) from None
    if not parsed.entries:
        if parsed.get("bozo"):
            detail = str(parsed.get("bozo_exception"))[:120]
            raise FeedFailed(f"not a feed: {detail}", code="not_feed", detail=detail)
        if not parsed.get("version"):
            raise FeedFailed("not a feed (no RSS or Atom element)", code="no_feed_element")
        return []
    lang = str(parsed.feed.get("language", ""))[:2].lower()
    out: list[tuple[str, Signal]] = []
    if len(parsed.entries) > MAX_ENTRIES_PER_POLL:
        skipped["over_cap"] += (
            len(parsed.entries) - MAX_ENTRIES_PER_POLL)
    for entry in parsed.entries[:MAX_ENTRIES_PER_POLL]:
        link = str(entry.get("link", ""))[:MAX_URL_CHARS]
        key = str(entry.get("id") or link)
        # Cut before the tag strip too: a 4 MB summary costs no more than a short one.
        text = _plain(" ".join(filter(None, (str(entry.get("title", ""))[:4 * MAX_TEXT_CHARS],
                                             str(entry.get("summary", ""))[:4 * MAX_TEXT_CHARS]))))
        if not text:
            skipped["no_text"] += 1
            continue
        if not key:
            skipped["no_key"] += 1
            continue
        if len(text) > MAX_TEXT_CHARS:
            skipped["cut"] += 1
        when, bad_date = _entry_time(entry, now)
        if bad_date:
            skipped["bad_date"] += 1
        out.append((key[:500], Signal(source="rss", time=when, text=text[:MAX_TEXT_CHARS],
                                      url=link, lang=lang if lang.isalpha() else "",
                                      author_kind=feed.author_kind)))
    return out


async def poll(redis: aioredis.Redis, keys: WatchKeys, session: aiohttp.ClientSession,
               feed: Feed) -> PollOutcome:
    """Poll `feed` once: new entries into the intake, its state updated."""
    state_key = keys.feed_state(feed.name)
    state = await Feeds(redis, keys).state(feed.name)
    now = dt.datetime.now(dt.timezone.utc)
    skipped = Skipped()
    try:
        status, body, headers = await fetch(session, feed.url, state.get("etag", ""),
                                            state.get("modified", ""))
        # A thread: 5 MiB of entries is seconds of parsing, the worker's loop stays free.
        entries = [] if status == 304 else await asyncio.to_thread(entries_of, body, feed, now,
                                                                    skipped)
    except FeedFailed as failure:
        await redis.hset(state_key, mapping={"health": "unhealthy", "reason": str(failure),
                                             "reason_code": failure.code,
                                             "reason_detail": failure.detail,
                                             "last_try": now.isoformat(timespec="seconds")})
        await redis.hincrby(state_key, "failures", 1)
        log.warning("feed failed", extra={"feed": feed.name, "reason": str(failure)})
        return PollOutcome(ok=False, reason=str(failure))
    fresh: list[Signal] = []
    if entries:
        seen_key = keys.feed_seen(feed.name)
        async with redis.pipeline(transaction=False) as pipe:
            for key, _ in entries:
                pipe.zadd(seen_key, {key: now.timestamp()}, nx=True)
            added = await pipe.execute()
        fresh = [signal for (_, signal), new in zip(entries, added) if new]
        await redis.zremrangebyrank(seen_key, 0, -SEEN_KEPT - 1)
    await add_signals(redis, keys, fresh)
    mapping: dict[Any, str | int] = {"health": "ok", "reason": "", "reason_code": "",
                                     "reason_detail": "", "failures": 0,
               "last_ok": now.isoformat(timespec="seconds"),
               "last_try": now.isoformat(timespec="seconds")}
    if status != 304:
        mapping["etag"] = headers["etag"]
        mapping["modified"] = headers["modified"]
        mapping["skipped"] = json.dumps(dict(skipped))  # the last read's, shown with the health
    await redis.hset(state_key, mapping=mapping)
    if fresh:
        await redis.hincrby(state_key, "entries", len(fresh))
    return PollOutcome(ok=True, new_entries=len(fresh), not_modified=status == 304,
                       skipped=skipped.summary())


def next_delay_s(feed: Feed, failures: int) -> int:
    """The feed's interval; after failures, doubled per failure in a row, at most an hour."""
    backoff: int = feed.every_s * 2 ** min(failures, 10)
    return min(backoff, max(MAX_BACKOFF_S, feed.every_s))


def _session(_: WorkerContext) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(raise_for_status=False)


def _jobs(context: WorkerContext) -> Jobs:
    return Jobs(sync_redis(context.redis_url, decode=False), context.keys)


@with_worker_context
async def poll_feed_job(context: WorkerContext, name: str, chain: str) -> dict[str, Any]:
    """The RQ job: poll the feed `name` if `chain` is still its chain, then schedule the next."""
    keys = WatchKeys(context.keys)
    feed = await Feeds(context.redis, keys).get(name)
    if feed is None or feed.chain != chain:
        return {"stopped": name}  # removed, or added again with a new chain
    session = context.resource("watch-feeds-http", _session)
    try:
        outcome = await poll(context.redis, keys, session, feed)
    finally:
        failures = int((await Feeds(context.redis, keys).state(name)).get("failures", 0) or 0)
        delay = next_delay_s(feed, failures)
        await context.redis.hset(keys.feed_state(name), "next_s", delay)
        await asyncio.to_thread(context.resource("watch-jobs", _jobs).enqueue_in,
                                dt.timedelta(seconds=delay), POLL_JOB,
                                name, chain)
    return dataclasses.asdict(outcome)
