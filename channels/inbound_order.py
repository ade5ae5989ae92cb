"""A conversation's inbound messages are handled one at a time, in the order they came in,
whichever events process reads them.

One events process already keeps one subject's events in order (crisis/events.py), but with
several processes the consumer group hands a conversation's quick second message to another
process, which could answer it before the first ("bonjour" answered after the question), or
run two first answers at once. The receive script numbers each inbound message in the
conversation hash (`inbound_seq`); message n waits until n - 1 is marked handled
(`inbound_done`, which only ConversationStore writes). The wait is bounded: a message whose
handling died does not hold the conversation for more than TURN_WAIT_S, and the mark only
moves forward. The holder may write the mark itself with its own last writes (`Turn.marked`,
one round trip less per message, channels/desk.py); else the turn writes it when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

from channels.store import ConversationStore

log = logging.getLogger(__name__)

TURN_WAIT_S = 5.0
TURN_POLL_S = 0.02


@dataclasses.dataclass
class Turn:
    """A held turn; `marked` says its holder wrote the done mark (ConversationStore's
    `finish_inbound`), so ending the turn need not write it again."""

    marked: bool = False


class InboundTurns:
    def __init__(self, store: ConversationStore, wait_s: float = TURN_WAIT_S) -> None:
        self.store = store
        self.wait_s = wait_s

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str, seq: int) -> AsyncIterator[Turn]:
        """Hold the conversation's turn for inbound message `seq` (0: unnumbered, no wait)."""
        if seq > 1:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.wait_s
            while await self.store.inbound_done(conversation_id) < seq - 1:
                if loop.time() >= deadline:
                    log.warning("inbound message handled before an earlier one", extra={
                        "conversation": conversation_id, "seq": seq})
                    break
                await asyncio.sleep(TURN_POLL_S)
        held = Turn()
        try:
            yield held
        finally:  # even when handling failed: the next message must not wait for a retry
            if seq > 0 and not held.marked:
                await self.store.mark_inbound_done(conversation_id, seq)
