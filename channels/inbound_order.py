"""A conversation's inbound messages are handled one at a time, in the order they came in,
whichever events process reads them.

One events process already keeps one subject's events in order (crisis/events.py), but with
several processes the consumer group hands a conversation's quick second message to another
process, which could answer it before the first ("bonjour" answered after the question), or
run two first answers at once. The receive script numbers each inbound message in the
conversation hash (`inbound_seq`); message n waits until n - 1 is marked handled
(`inbound_done`). The wait is bounded: a message whose handling died does not hold the
conversation for more than TURN_WAIT_S, and the mark only moves forward.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.lua_scripts import register_lua

log = logging.getLogger(__name__)

TURN_WAIT_S = 5.0
TURN_POLL_S = 0.02
DONE_FIELD = "inbound_done"


class InboundTurns:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys,
                 wait_s: float = TURN_WAIT_S) -> None:
        self.redis = redis
        self.k = keys
        self.wait_s = wait_s
        self._mark_done = register_lua(redis, "channels", "inbound_order_mark_done.lua")

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str, seq: int) -> AsyncIterator[None]:
        """Hold the conversation's turn for inbound message `seq` (0: unnumbered, no wait)."""
        key = self.k.conversation(conversation_id)
        if seq > 1:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.wait_s
            while int(await self.redis.hget(key, DONE_FIELD) or 0) < seq - 1:
                if loop.time() >= deadline:
                    log.warning("inbound message handled before an earlier one", extra={
                        "conversation": conversation_id, "seq": seq})
                    break
                await asyncio.sleep(TURN_POLL_S)
        try:
            yield
        finally:  # even when handling failed: the next message must not wait for a retry
            if seq > 0:
                await self._mark_done(keys=[key], args=[seq, DONE_FIELD])
