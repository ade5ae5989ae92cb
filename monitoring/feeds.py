"""The watch's RSS/Atom feeds: the list the cell keeps (`crisis feeds add|list|remove`) and
each feed's state (conditional-GET validators, health and its reason, failures in a row).

Each feed is polled by its own chain of RQ jobs (monitoring.feed_polling.py): a poll schedules
the next one. A `chain` token in the feed's record stops an old chain when the feed is removed
or added again, so a feed is never polled twice over.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from typing import Any, Final

import msgspec
import redis.asyncio as aioredis

from crisis.errors import Conflict, InvalidInput, NotFound
from monitoring.keys import WatchKeys

MIN_EVERY_S: Final = 30
MAX_EVERY_S: Final = 24 * 3600
DEFAULT_EVERY_S: Final = 60
MAX_FEEDS: Final = 500
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_EVERY = re.compile(r"(\d+)\s*(s|m|h)?")
AUTHOR_KINDS: Final = ("media", "official", "other")
# The RQ job that reads a feed (monitoring/feed_polling.py): queued by whoever adds one.
POLL_JOB: Final = "monitoring.feed_polling.poll_feed_job"


class Feed(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str
    every_s: int = DEFAULT_EVERY_S
    author_kind: str = "media"
    added_at: dt.datetime
    chain: str = ""


def parse_every(text: str) -> int:
    """"60s", "5m", "1h" or a number of seconds -> seconds, within bounds."""
    match = _EVERY.fullmatch(text.strip().lower())
    if match is None:
        raise InvalidInput(f"--every must look like 60s, 5m or 1h, not {text!r}")
    seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise InvalidInput(f"--every must be between {MIN_EVERY_S}s and 24h")
    return seconds


def name_for(url: str) -> str:
    host = re.sub(r"^https?://(www\.)?", "", url.lower()).split("/")[0]
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:40] or "feed"


def check_url(url: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url) or len(url) > 2000:
        raise InvalidInput(f"a feed URL must be an http(s) address, not {url[:80]!r}")
    return url


class Feeds:
    """The feed list and states in Redis."""

    def __init__(self, redis: aioredis.Redis, keys: WatchKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, url: str, *, name: str | None = None, every_s: int = DEFAULT_EVERY_S,
                  author_kind: str = "media") -> Feed:
        """A new feed with a fresh chain token (the caller enqueues its first poll)."""
        name = (name or name_for(check_url(url))).lower()
        check_url(url)
        if not _NAME.fullmatch(name):
            raise InvalidInput("a feed name is lower-case letters, digits and dashes (40 at most)")
        if author_kind not in AUTHOR_KINDS:
            raise InvalidInput(f"--kind must be one of {', '.join(AUTHOR_KINDS)}")
        existing = await self.all()
        if any(f.name == name for f in existing):
            raise Conflict(f"a feed named {name!r} exists; remove it first or choose --name")
        if any(f.url == url for f in existing):
            raise Conflict(f"this URL is already watched as {next(f.name for f in existing if f.url == url)!r}")
        if len(existing) >= MAX_FEEDS:
            raise InvalidInput(f"the watch holds {MAX_FEEDS} feeds at most")
        feed = Feed(name=name, url=url, every_s=every_s, author_kind=author_kind,
                    added_at=dt.datetime.now(dt.timezone.utc), chain=secrets.token_hex(8))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.feeds, name, msgspec.json.encode(feed))
            pipe.delete(self.keys.feed_state(name), self.keys.feed_seen(name))
            pipe.hset(self.keys.feed_state(name), mapping={"health": "new", "failures": 0})
            await pipe.execute()
        return feed

    async def get(self, name: str) -> Feed | None:
        raw = await self.redis.hget(self.keys.feeds, name)
        return msgspec.json.decode(raw, type=Feed) if raw else None

    async def all(self) -> list[Feed]:
        raws = await self.redis.hvals(self.keys.feeds)
        return sorted((msgspec.json.decode(r, type=Feed) for r in raws), key=lambda f: f.name)

    async def remove(self, name: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.feeds, name)
            pipe.delete(self.keys.feed_state(name), self.keys.feed_seen(name))
            removed, *_ = await pipe.execute()
        if not removed:
            raise NotFound(f"no feed named {name!r} (crisis feeds list)")

    async def state(self, name: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.keys.feed_state(name))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def listing(self) -> list[dict[str, Any]]:
        """Each feed with its state, as `crisis feeds list` and the situation view show it."""
        out = []
        for feed in await self.all():
            state = await self.state(feed.name)
            out.append({"name": feed.name, "url": feed.url, "every_s": feed.every_s,
                        "author_kind": feed.author_kind, "health": state.get("health", "new"),
                        "reason": state.get("reason", ""),
                        "reason_code": state.get("reason_code", ""),
                        "reason_detail": state.get("reason_detail", ""), "skipped": _counts(state.get("skipped", "")),
                        "failures": int(state.get("failures", 0) or 0),
                        "last_ok": state.get("last_ok", ""), "entries": int(state.get("entries", 0) or 0)})
        return out


def _counts(raw: str) -> dict[str, int]:
    """The last read's skipped entries by reason (monitoring.feed_polling.SKIP_REASONS)."""
    try:
        counts = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
