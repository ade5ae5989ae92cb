"""A small Mastodon-compatible API over aiohttp: the endpoints Mastodon.py calls for the
watch's Mastodon source, answering as Mastodon 4.3 does. Served by the demo
(monitoring/demo_mastodon.py) and by the tests' stand-in instance; where the statuses come
from is the caller's business.

- `/api/v1/instance`, `/api/v2/instance` (with and without the trailing slash Mastodon.py
  adds): version and `configuration.timelines_access` (Mastodon.py reads v2 once, to know
  whether hashtag timelines are public);
- `/api/v1/timelines/tag/{tag}`: `since_id` / `min_id` / `max_id` / `limit` (default 20, at
  most 40), newest first, a `Link` header (next: max_id, prev: min_id);
- `/api/v2/search?type=statuses&q=`: 401 unless the caller's `may_search` says yes;
- `X-RateLimit-Limit/Remaining/Reset` on every answer (one budget for the whole instance, as
  Mastodon's per-token or per-IP budget), 429 once it is spent, until the reset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

VERSION: Final = "4.3.2"
PAGE_DEFAULT: Final = 20
PAGE_MAX: Final = 40
Status = dict[str, Any]


@dataclasses.dataclass
class RateBudget:
    """Mastodon's request budget: `limit` requests per `window_s`, counted from the first."""

    limit: int = 300
    window_s: float = 300.0
    remaining: int = 300
    reset_at: float = 0.0

    def spend(self, now: float) -> tuple[bool, dict[str, str]]:
        """One request: (allowed, the headers Mastodon sends with the answer)."""
        if self.reset_at <= now:
            self.remaining, self.reset_at = self.limit, now + self.window_s
        headers = {"Date": email.utils.formatdate(now, usegmt=True),
                   "X-RateLimit-Limit": str(self.limit),
                   "X-RateLimit-Reset": dt.datetime.fromtimestamp(self.reset_at, dt.timezone.utc)
                   .isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        if self.remaining <= 0:
            headers["X-RateLimit-Remaining"] = "0"
            return False, headers
        self.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(self.remaining)
        return True, headers


def status_json(sid: str, content: str, created_at: dt.datetime, *, acct: str,
                tags: Iterable[str] = (), bot: bool = False, followers: int = 10,
                language: str | None = "fr") -> Status:
    """A status as Mastodon's JSON has it: id a string, content HTML, the account nested;
    `acct` is "user@host", the host making its URLs."""
    username, _, host = acct.partition("@")
    return {
        "id": sid, "uri": f"https://{host}/users/{username}/statuses/{sid}",
        "url": f"https://{host}/@{username}/{sid}",
        "created_at": created_at.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "content": content, "language": language, "visibility": "public",
        "sensitive": False, "spoiler_text": "", "replies_count": 0, "reblogs_count": 0,
        "favourites_count": 0, "reblog": None, "media_attachments": [], "mentions": [],
        "emojis": [], "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "account": {"id": str(1000 + len(acct)), "username": username, "acct": acct,
                    "display_name": username, "bot": bot, "locked": False,
                    "followers_count": followers, "following_count": 3, "statuses_count": 42,
                    "url": f"https://{host}/@{username}",
                    "created_at": "2020-01-01T00:00:00.000Z", "note": "", "avatar": "",
                    "header": "", "fields": [], "emojis": []},
    }


def _number(query: Mapping[str, str], name: str) -> int | None:
    try:
        return int(query[name]) if name in query else None
    except ValueError:
        return None


def page_of(query: Mapping[str, str], statuses: Iterable[Status]) -> list[Status]:
    """Mastodon's paging: max_id (older than), since_id (newer than, newest first), min_id
    (immediately newer than, so that reading forward leaves no gap); newest first."""
    limit = min(_number(query, "limit") or PAGE_DEFAULT, PAGE_MAX)
    chosen = sorted(statuses, key=lambda s: int(s["id"]))
    if (max_id := _number(query, "max_id")) is not None:
        chosen = [s for s in chosen if int(s["id"]) < max_id]
    if (since_id := _number(query, "since_id")) is not None:
        chosen = [s for s in chosen if int(s["id"]) > since_id]
    if (min_id := _number(query, "min_id")) is not None:
        chosen = [s for s in chosen if int(s["id"]) > min_id][:limit]
    else:
        chosen = chosen[-limit:]
    return list(reversed(chosen))


def _link(request: web.Request, page: list[Status]) -> dict[str, str]:
    if not page:
        return {}
    base = str(request.url.with_query(None))
    return {"Link": f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                    f'<{base}?min_id={page[0]["id"]}>; rel="prev"'}


def rate_limited(budget: RateBudget) -> Middleware:
    """Every answer carries the budget's headers; once it is spent, 429 until its reset."""
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        allowed, headers = budget.spend(time.time())
        if not allowed:
            return web.json_response({"error": "Too many requests"}, status=429, headers=headers)
        response: web.StreamResponse = await handler(request)
        response.headers.update(headers)
        return response
    return middleware


@dataclasses.dataclass(frozen=True)
class Instance:
    """What an instance serves: its statuses now (any order) and who may search."""

    domain: str
    title: str
    statuses: Callable[[], Sequence[Status]]
    may_search: Callable[[web.Request], bool]


def mastodon_api_app(instance: Instance, budget: RateBudget, *,
                     outer: Sequence[Middleware] = (),
                     inner: Sequence[Middleware] = ()) -> web.Application:
    """The API as an aiohttp application (mounted as a sub-application, or served alone);
    `outer` middlewares run before the rate limit, `inner` ones after it."""
    async def instance_v1(request: web.Request) -> web.Response:
        return web.json_response({"uri": instance.domain, "title": instance.title,
                                  "version": VERSION, "languages": ["fr"],
                                  "registrations": False})

    async def instance_v2(request: web.Request) -> web.Response:
        feeds = {"local": "public", "remote": "public"}
        return web.json_response({
            "domain": instance.domain, "title": instance.title, "version": VERSION,
            "api_versions": {"mastodon": 2},
            "configuration": {"timelines_access": {"live_feeds": feeds, "hashtag_feeds": feeds,
                                                   "trending_link_feeds": feeds}}})

    async def tag_timeline(request: web.Request) -> web.Response:
        tag = request.match_info["tag"].lower()
        tagged = [s for s in instance.statuses()
                  if tag in {t["name"].lower() for t in s["tags"]}]
        page = page_of(request.query, tagged)
        return web.json_response(page, headers=_link(request, page))

    async def search(request: web.Request) -> web.Response:
        if not instance.may_search(request):
            return web.json_response({"error": "The access token is invalid"}, status=401)
        query = request.query.get("q", "").lower()
        found = [s for s in instance.statuses() if query and query in s["content"].lower()]
        kind = request.query.get("type")
        return web.json_response({"accounts": [], "hashtags": [], "statuses":
                                  page_of(request.query, found) if kind in (None, "statuses")
                                  else []})

    app = web.Application(middlewares=[*outer, rate_limited(budget), *inner])
    for path, handler in (("/api/v1/instance", instance_v1), ("/api/v2/instance", instance_v2)):
        app.router.add_get(path, handler)
        app.router.add_get(path + "/", handler)
    app.router.add_get("/api/v1/timelines/tag/{tag}", tag_timeline)
    app.router.add_get("/api/v2/search", search)
    return app
