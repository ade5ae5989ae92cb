"""The running centre's shared services, built once per process and handed to every package.

Each edge package receives this in its `setup(app, ctx)`; it subscribes to events with
`ctx.subscribe(group, handler)` and reads settings from `ctx.settings`, never the environment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import redis
import redis.asyncio as aioredis

from crisis.accounts import Accounts
from crisis.crises import Crises
from crisis.events import BatchHandler, EventBus, Handler
from crisis.jobs import Jobs
from crisis.keys import Keys
from crisis.publications import Publications
from crisis.redis_client import async_redis, sync_redis
from crisis.secret_key import resolve_secret_key
from crisis.settings import Settings
from crisis.types import EventType


SituationSource = Callable[[], Awaitable[dict[str, Any]]]


@dataclasses.dataclass(frozen=True, slots=True)
class Subscription:
    """A consumer group's handler and the event types it handles (None: all)."""

    handler: Handler
    types: frozenset[EventType] | None
    batch: BatchHandler | None = None  # sees each read's events first (crisis/events.py)


@dataclasses.dataclass
class Context:
    settings: Settings
    redis_url: str
    keys: Keys
    redis: aioredis.Redis
    bus: EventBus
    accounts: Accounts
    crises: Crises
    publications: Publications
    jobs: Jobs
    secret: bytes
    subscriptions: dict[str, Subscription] = dataclasses.field(default_factory=dict)
    situation: dict[str, SituationSource] = dataclasses.field(default_factory=dict)

    def subscribe(self, group: str, handler: Handler, *,
                  types: Collection[EventType] | None = None,
                  batch: BatchHandler | None = None) -> None:
        """Run `handler` on every event of `types` (all when None), once per group across all
        processes. Name the types: a group that reads everything pays for every SMS event.
        With `batch`, each read's events go to it first, and those it leaves to `handler`."""
        if group in self.subscriptions:
            raise ValueError(f"event group {group!r} is subscribed twice")
        self.subscriptions[group] = Subscription(
            handler, frozenset(types) if types is not None else None, batch)

    def add_situation(self, section: str, source: SituationSource) -> None:
        """Contribute a section to /api/situation (the cell's live view) without an import."""
        self.situation[section] = source

    async def close(self) -> None:
        await self.redis.aclose()
        self.jobs.connection.close()


def open_context(settings: Settings, redis_url: str) -> Context:
    """Connect (lazily: no I/O until first use) and wire the core services."""
    keys = Keys(settings.redis_prefix)
    client = async_redis(redis_url)
    bus = EventBus(client, keys)
    secret = resolve_secret_key(settings)
    rq_connection: redis.Redis = sync_redis(redis_url, decode=False)
    return Context(
        settings=settings, redis_url=redis_url, keys=keys, redis=client, bus=bus,
        accounts=Accounts(client, keys, secret, bus), crises=Crises(client, keys, bus),
        publications=Publications(client, keys, bus), jobs=Jobs(rq_connection, keys),
        secret=secret,
    )
