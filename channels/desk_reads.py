"""What the console, the API and the situation view read through the desk.

The desk is the one door of the contact centre for the edges: they read and act through its
methods, never through its store, router or Redis connection, so the desk's parts can change
without them. This is the reading half, kept apart to keep channels/desk.py short.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.paging import PageCursor
from channels.policy import PolicyCache, QueuePolicy, load_policy
from channels.router import OperatorState, Router
from channels.service_levels import ServiceLevels, capacity_of
from channels.store import ConversationStore
from crisis.types import ChannelKind, Conversation, ConversationStatus, Message, OperatorStatus


class DeskReads:
    """Read-only views of the desk's state (mixed into channels.desk.Desk, which sets the
    attributes below)."""

    store: ConversationStore
    router: Router
    levels: ServiceLevels
    policies: PolicyCache

    async def conversation(self, conversation_id: str) -> Conversation:
        """NotFound when there is no such conversation (or it was purged)."""
        return await self.store.get(conversation_id)

    async def conversation_fields(self, conversation_id: str) -> dict[str, str]:
        """The raw record, with what `Conversation` leaves out (the transfer note...)."""
        return await self.store.fields(conversation_id)

    async def messages(self, conversation_id: str) -> list[Message]:
        return await self.store.messages(conversation_id)

    async def last_citizen_message(self, conversation_id: str) -> Message | None:
        return await self.store.last_citizen_message(conversation_id)

    async def conversations(
        self, *, status: str | None, channel: ChannelKind | None, limit: int,
        cursor: PageCursor | None, visible: Callable[[Conversation], bool] | None = None,
    ) -> tuple[list[Conversation], int, PageCursor | None]:
        """A page of conversations, newest first (ConversationStore.page)."""
        return await self.store.page(status=status, channel=channel, limit=limit,
                                     cursor=cursor, visible=visible)

    async def operator(self, name: str) -> OperatorState:
        return await self.router.operator(name)

    async def operators(self) -> list[OperatorState]:
        return await self.router.operators()

    async def queue_length(self) -> int:
        return await self.router.queue_length()

    async def queue_skills(self) -> list[str]:
        """The skill ("lang|channel|topic|cost") of each queued conversation."""
        return await self.router.queue_skills()

    async def queued(self, limit: int) -> list[str]:
        return await self.router.queued(limit)

    async def offered(self, conversation_id: str) -> bool:
        return await self.router.offered(conversation_id)

    async def oldest_queued_change(self) -> float | None:
        """When the queued conversation unchanged the longest last changed (epoch s)."""
        return await self.store.oldest_change(ConversationStatus.QUEUED)

    async def policy(self, *, fresh: bool = False) -> QueuePolicy:
        """The queue policy: this process's copy (at most a second old), or read now."""
        if fresh:
            return await load_policy(self.policies.redis, self.policies.keys)
        return await self.policies.get()

    async def situation(self) -> dict[str, object]:
        """The contact centre's figures for the situation view (and /metrics' gauges)."""
        operators = await self.router.operators()
        body = await self.levels.situation(capacity_of(operators), await self.router.queue_since())
        # "Citizens queued and nobody signed in" is the first alert a supervisor needs.
        body["operators_signed_in"] = sum(o.status is not OperatorStatus.OFFLINE
                                          for o in operators)
        return body
