"""Optimistic transactions: read under WATCH, queue the writes, retry if someone else wrote.

Every change of state in the centre (a crisis, a publication, a conversation, an article)
is one such transaction, so the state, its event and its audit entry land together or not
at all, and two people acting at once never lose a change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import WatchError

T = TypeVar("T")
Step = Callable[[aioredis.client.Pipeline], Awaitable[T]]


async def watched_update(redis: aioredis.Redis, key: str, step: Step[T]) -> T:
    """Run `step` with `key` watched until its writes commit unchallenged.

    `step` reads through the pipeline (immediate while watching), may raise to abort (nothing
    is written), then calls `pipe.multi()`, queues its writes and returns the result.
    """
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                result = await step(pipe)
                await pipe.execute()
                return result
            except WatchError:
                continue
