"""Who may see and act on a conversation: the one rule the console and the JSON API share.

- A supervisor (or any role above) sees every conversation and may act on any of them.
- An operator (a reinforcement account included) reads, answers, tags, transfers and closes
  the conversations they hold: the conversation's `operator` is their name (the router
  clears it when the conversation is closed, requeued or moved to someone else).
- An operator also sees the queue's metadata: the listing rows of queued conversations
  (channel, masked address, language, topic, waiting time), never their messages, so they
  know what waits without reading what another operator is handling.

Everything else is refused with Forbidden (403), in the console and the API alike; and the
reply path checks the same rule again inside its Redis transaction (channels/desk.py), so a
conversation moved to someone else between the check and the write is not answered.
"""

from __future__ import annotations

import dataclasses

from crisis.errors import Forbidden
from crisis.types import Conversation, ConversationStatus, Principal, Role

NOT_YOURS = "this conversation is assigned to another operator"
# What an operator may list without holding it: the queue, waiting for someone to take it.
QUEUE_METADATA = frozenset({ConversationStatus.QUEUED})


@dataclasses.dataclass(frozen=True)
class ConversationAccess:
    """The access of one caller (a session, a token) to conversations."""

    principal: Principal

    @property
    def sees_all(self) -> bool:
        return self.principal.role.at_least(Role.SUPERVISOR)

    def holds(self, conversation: Conversation) -> bool:
        return conversation.operator == self.principal.name

    def may_read(self, conversation: Conversation) -> bool:
        """The conversation with its messages, and acting on it (reply, tags, close...)."""
        return self.sees_all or self.holds(conversation)

    def may_list(self, conversation: Conversation) -> bool:
        """The conversation's metadata in a listing (no messages)."""
        return self.may_read(conversation) or conversation.status in QUEUE_METADATA

    def check_read(self, conversation: Conversation) -> Conversation:
        """The conversation, if the caller may read and act on it; Forbidden otherwise."""
        if not self.may_read(conversation):
            raise Forbidden(NOT_YOURS)
        return conversation
