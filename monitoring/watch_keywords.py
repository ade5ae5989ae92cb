"""The keywords the watch looks for in signals: the live crises' scenario keywords.

Loaded on activation and dropped at closing, by crisis events, into one Redis hash.
"""

from __future__ import annotations

import json

from crisis.context import Context
from crisis.keys import Keys
from crisis.scenarios import get_scenario
from crisis.types import Event, EventType
from monitoring.keys import WatchKeys
from monitoring.mastodon_state import JOB as MASTODON_JOB, restart_chain


LOADED_ON = (EventType.CRISIS_ACTIVATED, EventType.CRISIS_RE_ESCALATED)
WATCH_KEYWORD_EVENTS = frozenset({*LOADED_ON, EventType.CRISIS_CLOSED})


def keywords_key(ctx: Context) -> str:
    return keywords_key_of(ctx.keys)


def keywords_key_of(keys: Keys) -> str:
    """The same key for a process without a Context (a worker's job)."""
    return keys.scoped("watch", "keywords")


async def update_watch_keywords(ctx: Context, event: Event) -> None:
    if event.type == EventType.CRISIS_CLOSED:
        await ctx.redis.hdel(keywords_key(ctx), event.subject)
    elif event.type in LOADED_ON:
        scenario = get_scenario(str(event.data["scenario"]))
        added = await ctx.redis.hset(keywords_key(ctx), event.subject,
                                     json.dumps(scenario.watch_keywords))
        if added and ctx.settings.mastodon_api_base:
            # A crisis's keywords are read on Mastodon now, not at the chain's next run (up to
            # MASTODON_EVERY_S on: the demo's Mastodon line stayed empty for 30 s when its
            # first run came before the demo crisis's keywords).
            async def enqueue(chain: str) -> None:
                await ctx.jobs.enqueue_async(MASTODON_JOB, chain, retries=0)
            await restart_chain(ctx.redis, WatchKeys(ctx.keys), enqueue)


async def watched_keywords(ctx: Context) -> set[str]:
    """Every keyword of every live crisis."""
    return {word for raw in await ctx.redis.hvals(keywords_key(ctx)) for word in json.loads(raw)}
