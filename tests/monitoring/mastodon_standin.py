"""A stand-in Mastodon instance for the watch's tests: monitoring/mastodon_api.py (the API the
demo serves too) over statuses the tests add, plus what a test needs to steer it.

Tests steer it through `StandIn`: add statuses, set the budget (it is the instance's
`RateBudget`), make the next answers fail (`fail_next`: a status code, `"garbage"` for a body
that is not JSON, `"huge"` for a gzip bomb, `"slow"` for an answer after 3 s), read the
requests made. Search needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gzip
from typing import Any

from aiohttp import web

from monitoring.mastodon_api import Instance, RateBudget, mastodon_api_app, status_json


@dataclasses.dataclass
class StandIn(RateBudget):
    statuses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    token: str = "s3cret-token"
    fail_next: list[int | str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)
    _next_id: int = 109_000_000_000_000_000

    def add_status(self, content: str, *, tags: tuple[str, ...] = (), bot: bool = False,
                   followers: int = 10, language: str | None = "fr",
                   acct: str = "alice@example.social") -> dict[str, Any]:
        """A status as Mastodon's JSON has it, created now, with the next id."""
        self._next_id += 1
        status = status_json(str(self._next_id), content, dt.datetime.now(dt.timezone.utc),
                             acct=acct, tags=tags, bot=bot, followers=followers,
                             language=language)
        self.statuses.append(status)
        return status


def standin_app(state: StandIn) -> web.Application:
    @web.middleware
    async def recorded(request: web.Request, handler: Any) -> web.StreamResponse:
        state.requests.append(f"{request.path}?{request.query_string}")
        response: web.StreamResponse = await handler(request)
        return response

    @web.middleware
    async def failing(request: web.Request, handler: Any) -> web.StreamResponse:
        failure = state.fail_next.pop(0) if state.fail_next else 200
        if failure == "slow":
            await asyncio.sleep(3)
            failure = 200
        if failure == "huge":  # 6 MiB of a JSON list, gzipped to a few KiB
            body = gzip.compress(b"[" + b"0," * (3 * 1024 * 1024) + b"0]")
            return web.Response(body=body, content_type="application/json",
                                headers={"Content-Encoding": "gzip"})
        if failure == "garbage":
            return web.Response(text="<html><body>Bad gateway, try later</body></html>",
                                content_type="text/html")
        if failure != 200:
            return web.json_response({"error": "failure"}, status=int(failure))
        response: web.StreamResponse = await handler(request)
        return response

    instance = Instance(domain="example.social", title="Example",
                        statuses=lambda: state.statuses,
                        may_search=lambda request: request.headers.get(
                            "Authorization") == f"Bearer {state.token}")
    return mastodon_api_app(instance, state, outer=[recorded], inner=[failing])
