"""The supervisor's queue policy: surge mode, overflow and the pace of wait updates.

Stored in one Redis hash so every web process applies the same policy at once.
"""

from __future__ import annotations

from typing import cast

import msgspec
import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.errors import InvalidInput


class QueuePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Estimated wait (s) above which new contacts are offered self-service first; 0 = off.
    surge_wait_s: int = 600
    # Wait (s) after which a queued citizen gets the site link and a callback offer; 0 = off.
    overflow_wait_s: int = 1200
    # At most one position/wait update per queued citizen in this many seconds.
    update_interval_s: int = 600

    def check(self) -> QueuePolicy:
        for name in ("surge_wait_s", "overflow_wait_s"):
            if not 0 <= getattr(self, name) <= 24 * 3600:
                raise InvalidInput(f"{name} must be between 0 and 86400 seconds")
        if not 60 <= self.update_interval_s <= 24 * 3600:
            raise InvalidInput("update_interval_s must be between 60 and 86400 seconds")
        return self


def policy_key(keys: ChannelKeys) -> str:
    return keys.keys.scoped("ch", "policy")


async def load_policy(redis: aioredis.Redis, keys: ChannelKeys) -> QueuePolicy:
    fields = cast(dict[str, str], await redis.hgetall(policy_key(keys)))
    return msgspec.convert({k: int(v) for k, v in fields.items()}, QueuePolicy)


async def save_policy(redis: aioredis.Redis, keys: ChannelKeys, policy: QueuePolicy) -> None:
    await redis.hset(policy_key(keys), mapping=msgspec.to_builtins(policy.check()))
