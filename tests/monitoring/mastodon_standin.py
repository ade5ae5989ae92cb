"""A stand-in Mastodon instance for the watch's tests: the endpoints Mastodon.py calls for a
hashtag timeline and a statuses search, answering as Mastodon does.

- `/api/v1/instance`, `/api/v2/instance`: version and `configuration.timelines_access` (the
  client reads v2 once, to know whether hashtag timelines are public);
- `/api/v1/timelines/tag/{tag}`: `since_id` / `min_id` / `max_id` / `limit` (default 20, at
  most 40), newest first, a `Link` header (next: max_id, prev: min_id) as Mastodon sends;
- `/api/v2/search?type=statuses&q=`: 401 without a bearer token, `min_id` / `max_id` / `limit`;
- `X-RateLimit-Limit/Remaining/Reset` on every answer (one budget for the whole instance,
  as Mastodon's per-token or per-IP budget), 429 once it is spent, until the reset.

Tests steer it through `StandIn`: add statuses, set the budget, make the next answers fail
(`fail_next`: a status code, `"garbage"` for a body that is not JSON, `"huge"` for a
gzip bomb, `"slow"` for an answer after 3 s), read the requests made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import datetime as dt
import email.utils
import time
from typing import Any

from aiohttp import web

VERSION = "4.3.2"


@dataclasses.dataclass
class StandIn:
    statuses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    token: str = "s3cret-token"
    limit: int = 300
    remaining: int = 300
    reset_at: float = 0.0
    fail_next: list[int | str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)
    _next_id: int = 109_000_000_000_000_000

    def add_status(self, content: str, *, tags: tuple[str, ...] = (), bot: bool = False,
                   followers: int = 10, language: str | None = "fr",
                   acct: str = "alice@example.social") -> dict[str, Any]:
        """A status as Mastodon's JSON has it (id a string, content HTML, the account nested)."""
        self._next_id += 1
        sid = str(self._next_id)
        status = {
            "id": sid, "uri": f"https://example.social/users/alice/statuses/{sid}",
            "url": f"https://example.social/@alice/{sid}",
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "content": content, "language": language, "visibility": "public",
            "sensitive": False, "spoiler_text": "", "replies_count": 0, "reblogs_count": 0,
            "favourites_count": 0, "reblog": None, "media_attachments": [], "mentions": [],
            "emojis": [], "tags": [{"name": t, "url": f"https://example.social/tags/{t}"} for t in tags],
            "account": {"id": str(1000 + len(acct)), "username": acct.split("@")[0], "acct": acct,
                        "display_name": acct.split("@")[0], "bot": bot, "locked": False,
                        "followers_count": followers, "following_count": 3, "statuses_count": 42,
                        "url": f"https://example.social/@{acct.split('@')[0]}",
                        "created_at": "2020-01-01T00:00:00.000Z", "note": "", "avatar": "",
                        "header": "", "fields": [], "emojis": []},
        }
        self.statuses.append(status)
        return status


def _id(status: dict[str, Any]) -> int:
    return int(status["id"])


def _page(request: web.Request, statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mastodon's paging: max_id (older than), since_id (newer than, newest first), min_id
    (immediately newer than, so that reading forward leaves no gap); newest first."""
    try:
        limit = min(int(request.query.get("limit", 20)), 40)
    except ValueError:
        limit = 20
    chosen = sorted(statuses, key=_id)
    if "max_id" in request.query:
        chosen = [s for s in chosen if _id(s) < int(request.query["max_id"])]
    if "since_id" in request.query:
        chosen = [s for s in chosen if _id(s) > int(request.query["since_id"])]
    if "min_id" in request.query:
        chosen = [s for s in chosen if _id(s) > int(request.query["min_id"])][:limit]
    else:
        chosen = chosen[-limit:]
    return list(reversed(chosen))


def _link(request: web.Request, page: list[dict[str, Any]]) -> dict[str, str]:
    if not page:
        return {}
    base = str(request.url.with_query(None))
    return {"Link": f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                    f'<{base}?min_id={page[0]["id"]}>; rel="prev"'}


def standin_app(state: StandIn) -> web.Application:
    @web.middleware
    async def rate_limited(request: web.Request, handler: Any) -> web.StreamResponse:
        state.requests.append(f"{request.path}?{request.query_string}")
        now = time.time()
        if state.reset_at <= now:
            state.remaining, state.reset_at = state.limit, now + 300
        headers = {"Date": email.utils.formatdate(now, usegmt=True),
                   "X-RateLimit-Limit": str(state.limit),
                   "X-RateLimit-Reset": dt.datetime.fromtimestamp(state.reset_at, dt.timezone.utc)
                   .isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        if state.remaining <= 0:
            headers["X-RateLimit-Remaining"] = "0"
            return web.json_response({"error": "Too many requests"}, status=429, headers=headers)
        state.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(state.remaining)
        if state.fail_next:
            failure = state.fail_next.pop(0)
            if failure == "slow":
                await asyncio.sleep(3)
                failure = 200
            if failure == "huge":  # 6 MiB of a JSON list, gzipped to a few KiB
                body = gzip.compress(b"[" + b"0," * (3 * 1024 * 1024) + b"0]")
                return web.Response(body=body, content_type="application/json",
                                    headers={**headers, "Content-Encoding": "gzip"})
            if failure == 200:
                response = await handler(request)
                response.headers.update(headers)
                return response
            if failure == "garbage":
                response: web.StreamResponse = web.Response(
                    text="<html><body>Bad gateway, try later</body></html>",
                    content_type="text/html", headers=headers)
            else:
                response = web.json_response({"error": "failure"}, status=int(failure),
                                             headers=headers)
            return response
        response = await handler(request)
        response.headers.update(headers)
        return response

    async def instance_v1(request: web.Request) -> web.Response:
        return web.json_response({"uri": "example.social", "title": "Example", "version": VERSION,
                                  "languages": ["fr"], "registrations": False})

    async def instance_v2(request: web.Request) -> web.Response:
        feeds = {"local": "public", "remote": "public"}
        return web.json_response({
            "domain": "example.social", "title": "Example", "version": VERSION,
            "api_versions": {"mastodon": 2},
            "configuration": {"timelines_access": {"live_feeds": feeds, "hashtag_feeds": feeds,
                                                   "trending_link_feeds": feeds}}})

    async def tag_timeline(request: web.Request) -> web.Response:
        tag = request.match_info["tag"].lower()
        tagged = [s for s in state.statuses if tag in {t["name"].lower() for t in s["tags"]}]
        page = _page(request, tagged)
        return web.json_response(page, headers=_link(request, page))

    async def search(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {state.token}":
            return web.json_response({"error": "The access token is invalid"}, status=401)
        query = request.query.get("q", "").lower()
        found = [s for s in state.statuses if query and query in s["content"].lower()]
        kind = request.query.get("type")
        return web.json_response({"accounts": [], "hashtags": [],
                                  "statuses": _page(request, found) if kind in (None, "statuses") else []})

    app = web.Application(middlewares=[rate_limited])
    app.router.add_get("/api/v1/instance/", instance_v1)
    app.router.add_get("/api/v1/instance", instance_v1)
    app.router.add_get("/api/v2/instance/", instance_v2)
    app.router.add_get("/api/v2/instance", instance_v2)
    app.router.add_get("/api/v1/timelines/tag/{tag}", tag_timeline)
    app.router.add_get("/api/v2/search", search)
    return app
