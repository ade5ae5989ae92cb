"""The demo's Mastodon instance (`crisis up --demo` only): the Mastodon-compatible API of
monitoring/mastodon_api.py under DEMO_MASTODON_PATH, over a few French statuses about the demo
flood, so the watch's Mastodon source reads something real through Mastodon.py.

The statuses come from monitoring/data/demo_mastodon.jsonl, one published every PACE_S,
round and round; status k is published at k x PACE_S (Unix time) and its id is Mastodon's
snowflake of that time. Nothing is stored: every web process serves the same statuses with
the same ids, and a restarted demo goes on where the clock is. The last len(posts) statuses
are visible (each text once), newest first, as a real instance's hashtag timeline.
Each web process keeps its own rate-limit budget (Mastodon's 300 requests per 5 minutes).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from functools import cache
from importlib import resources
from typing import Final

import msgspec
from aiohttp import web

from crisis.demo import DEMO_MASTODON_PATH
from crisis.web.app_keys import PRINCIPAL
from monitoring.mastodon_api import Instance, RateBudget, Status, mastodon_api_app, status_json
from monitoring.mastodon_statuses import hashtag_of

PACE_S: Final = 15.0  # a new status every 15 s: two or so for each run of the watch (30 s)
DOMAIN: Final = "mastodon.demo.crise.local"
_HASHTAG = re.compile(r"#(\w+)")


class DemoPost(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    acct: str
    text: str
    followers: int = 10
    bot: bool = False


@cache
def demo_posts() -> tuple[DemoPost, ...]:
    """The shipped posts, in their order."""
    text = (resources.files("monitoring") / "data" / "demo_mastodon.jsonl").read_text("utf-8")
    return tuple(msgspec.convert(json.loads(line), DemoPost)
                 for line in text.splitlines() if line.strip())


def _html(text: str) -> tuple[str, list[str]]:
    """A post's text as Mastodon's HTML (hashtags as links), and its tags as Mastodon
    names them (lower case, accents folded)."""
    tags: list[str] = []

    def link(match: re.Match[str]) -> str:
        tag = hashtag_of(match.group(1)) or match.group(1)
        tags.append(tag)
        return (f'<a href="https://{DOMAIN}/tags/{tag}" class="mention hashtag" rel="tag">'
                f'#<span>{match.group(1)}</span></a>')
    return f"<p>{_HASHTAG.sub(link, html.escape(text, quote=False))}</p>", tags


def _status(number: int, pace_s: float) -> Status:
    posts = demo_posts()
    post = posts[number % len(posts)]
    millis = round(number * pace_s * 1000)
    content, tags = _html(post.text)
    return status_json(str(millis << 16), content,
                       dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc),
                       acct=post.acct, tags=tags, bot=post.bot, followers=post.followers)


def demo_statuses(now: float, *, pace_s: float = PACE_S) -> list[Status]:
    """The statuses published by `now`: the last len(posts) of them, oldest first."""
    newest = int(now // pace_s)
    return [_status(number, pace_s)
            for number in range(newest - len(demo_posts()) + 1, newest + 1)]


def _token_caller(request: web.Request) -> bool:
    """The demo instance takes the centre's own API tokens as access tokens (the centre's
    sign-in middleware has checked the bearer before this answers; a wrong one is a 401)."""
    principal = request.get(PRINCIPAL)
    return principal is not None and principal.via == "token"


def demo_mastodon_app(*, pace_s: float = PACE_S) -> web.Application:
    """The demo instance as an application of its own (mounted by `setup_demo_mastodon`)."""
    instance = Instance(domain=DOMAIN, title="Mastodon (démo)",
                        statuses=lambda: demo_statuses(time.time(), pace_s=pace_s),
                        may_search=_token_caller)
    return mastodon_api_app(instance, RateBudget())


def setup_demo_mastodon(app: web.Application) -> None:
    app.add_subapp(DEMO_MASTODON_PATH, demo_mastodon_app())
