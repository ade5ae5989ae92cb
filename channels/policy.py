"""The supervisor's queue policy: surge mode, overflow, skill expansion, the pace of updates.

Stored in one Redis hash so every web process applies the same policy; each process keeps
it for CACHE_TTL_S (it is read for every queued message), and drops its copy at once when
the change is its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

import msgspec
import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from channels.ttl_cache import TtlCache
from crisis.errors import InvalidInput


class QueuePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Estimated wait (s) above which new contacts are offered self-service first; 0 = off.
    surge_wait_s: int = 600
    # Wait (s) after which a queued citizen gets the site link and a callback offer; 0 = off.
    overflow_wait_s: int = 1200
    # At most one position/wait update per queued citizen in this many seconds.
    update_interval_s: int = 600
    # Wait (s) for an operator with the conversation's topic before any operator with its
    # language and channel may take it (skill expansion); 0 = topics never hold a conversation.
    skill_wait_s: int = 120
    # Wait (s) after which a conversation in a language no operator signed in speaks goes to
    # any operator (the console shows its language); 0 = it waits for one who speaks it.
    lang_wait_s: int = 180

    def check(self) -> QueuePolicy:
        for name in ("surge_wait_s", "overflow_wait_s", "skill_wait_s", "lang_wait_s"):
            if not 0 <= getattr(self, name) <= 24 * 3600:
                raise InvalidInput(f"{name} must be between 0 and 86400 seconds")
        if not 60 <= self.update_interval_s <= 24 * 3600:
            raise InvalidInput("update_interval_s must be between 60 and 86400 seconds")
        return self


def policy_key(keys: ChannelKeys) -> str:
    return keys.policy


async def load_policy(redis: aioredis.Redis, keys: ChannelKeys) -> QueuePolicy:
    fields = cast(dict[str, str], await redis.hgetall(policy_key(keys)))
    return msgspec.convert({k: int(v) for k, v in fields.items()}, QueuePolicy)


async def save_policy(redis: aioredis.Redis, keys: ChannelKeys, policy: QueuePolicy) -> None:
    await redis.hset(policy_key(keys), mapping=msgspec.to_builtins(policy.check()))


CACHE_TTL_S = 1.0


class PolicyCache:
    """This process's copy of the policy, read again from Redis after `ttl_s`; `save` writes
    through and drops the copy, so the supervisor's own process applies a change at once and
    the others within `ttl_s`."""

    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys, ttl_s: float = CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis
        self.keys = keys
        self._cache = TtlCache(lambda: load_policy(redis, keys), ttl_s, clock)

    async def get(self) -> QueuePolicy:
        return await self._cache.get()

    async def save(self, policy: QueuePolicy) -> None:
        await save_policy(self.redis, self.keys, policy)
        self.invalidate()

    def invalidate(self) -> None:
        self._cache.invalidate()
