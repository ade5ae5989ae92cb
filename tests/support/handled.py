"""Whether the inbound pipeline has handled every citizen message (tests that must read the
conversations once the pipeline's writes are over)."""

from __future__ import annotations

from channels.store import ConversationStore


async def all_handled(store: ConversationStore, conversations: int) -> bool:
    """`conversations` conversations stored, and every citizen message in them handled (the
    pipeline writes the handled mark last)."""
    items, total, _ = await store.page(status=None, channel=None, limit=max(conversations, 1),
                                       cursor=None)
    if total != conversations:
        return False
    for conversation in items:
        for message in await store.messages(conversation.id):
            if message.author == "citizen" and not await store.handled(message.id):
                return False
    return True
