"""The watch's Mastodon source as the other processes see it: its state in Redis (health and
its reason, statuses read, rate-limit budget), its line in the situation view, and the keeper
that starts a chain of runs when none is alive (first start, or a worker lost with the
scheduled run). Apart from monitoring/mastodon_watch.py so that the web and events processes
never import Mastodon.py (about 150 ms of imports) to show a line or check a timestamp.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import redis.asyncio as aioredis

from crisis.jobs import Jobs
from monitoring.keys import WatchKeys

log = logging.getLogger(__name__)

JOB: Final = "monitoring.mastodon_watch.watch_mastodon_job"
STALE_AFTER_S: Final = 300  # a chain whose next run is this late is taken as lost
KEEPER_EVERY_S: Final = 60


async def mastodon_state(redis: aioredis.Redis, keys: WatchKeys) -> dict[str, str]:
    raw = await redis.hgetall(keys.mastodon_state)
    return {text_of(k): text_of(v) for k, v in raw.items()}


async def mastodon_health(redis: aioredis.Redis, keys: WatchKeys) -> dict[str, Any] | None:
    """The source's line in the situation view; None when it never ran (not configured)."""
    state = await mastodon_state(redis, keys)
    if not state:
        return None
    return {"name": "mastodon", "health": state.get("health", "new"),
            "reason": state.get("reason", ""), "last_ok": state.get("last_ok", ""),
            "reason_code": state.get("reason_code", ""),
            "reason_detail": state.get("reason_detail", ""),
            "rate_reset": state.get("rate_reset", ""),
            "last_try": state.get("last_try", ""), "statuses": int(state.get("statuses") or 0),
            "skipped": int(state.get("skipped") or 0), "queries": int(state.get("queries") or 0),
            "failures": int(state.get("failures") or 0)}


async def ensure_chain(redis: aioredis.Redis, keys: WatchKeys,
                       enqueue: Callable[[str], Awaitable[Any]]) -> str | None:
    """Start a new chain of runs when none is alive (never started, or its next run is more
    than STALE_AFTER_S late); the old chain stops itself on the token. Returns the new token."""
    state = await mastodon_state(redis, keys)
    due = float(state.get("due") or 0)
    if state.get("chain") and time.time() < due + STALE_AFTER_S:
        return None
    chain = secrets.token_hex(8)
    if not await redis.set(keys.mastodon_starting, chain, nx=True, ex=KEEPER_EVERY_S):
        return None  # another process starts it
    return await _start_chain(redis, keys, enqueue, chain, health=state.get("health", "new"))


async def restart_chain(redis: aioredis.Redis, keys: WatchKeys,
                        enqueue: Callable[[str], Awaitable[Any]]) -> str:
    """Start a new chain of runs now, whatever the current one's next run: the old chain stops
    itself on the token. For new keywords (a crisis activated), read at once rather than at the
    current chain's next run, up to MASTODON_EVERY_S later. Returns the new token."""
    return await _start_chain(redis, keys, enqueue, secrets.token_hex(8))


async def _start_chain(redis: aioredis.Redis, keys: WatchKeys,
                       enqueue: Callable[[str], Awaitable[Any]], chain: str,
                       health: str | None = None) -> str:
    """Make `chain` the current one, due now (with `health` when given), and enqueue its
    first run."""
    state = {"chain": chain, "due": f"{time.time():.0f}"}
    if health is not None:
        state["health"] = health
    await redis.hset(keys.mastodon_state, mapping=state)  # type: ignore[arg-type]
    await enqueue(chain)
    return chain


async def keep_mastodon_chain(redis: aioredis.Redis, keys: WatchKeys, jobs: Jobs,
                              stop: asyncio.Event) -> None:
    """In the events process: check every minute that a chain of runs is alive."""
    async def enqueue(chain: str) -> None:
        await jobs.enqueue_async(JOB, chain, retries=0)
    while not stop.is_set():
        try:
            if await ensure_chain(redis, keys, enqueue):
                log.info("mastodon watch chain started")
        except Exception:  # a Redis blip must not end the keeper; logged, tried again
            log.warning("mastodon watch keeper failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), KEEPER_EVERY_S)
        except TimeoutError:
            pass


def text_of(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
