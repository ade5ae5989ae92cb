"""Transfers: to a named operator (an operator's transfer, a supervisor's reassignment, from
another operator or straight from the queue), or to a skill queue (a topic or a language).

The router does the moving (`Router.move`, one Lua script with the assignment's capacity
rule), so a transfer never puts an operator over capacity, even while the router assigns in
another process. A named target gets the conversation as an offer: not opened within the
router's offer timeout, it is requeued. A skill transfer puts it at the head of that skill's
queue with the transferring operator's note, which the next operator sees first.
"""

from __future__ import annotations

import json

from channels.desk import Desk
from channels.skills import TOPICS
from crisis.errors import InvalidInput, InvalidTransition
from crisis.types import Conversation, ConversationStatus, LANGS, utcnow

MOVABLE = frozenset({ConversationStatus.QUEUED, ConversationStatus.ASSIGNED,
                     ConversationStatus.WAITING_CITIZEN})
MAX_NOTE = 500
SKILL_TARGETS = (*(f"topic:{t}" for t in TOPICS), *(f"lang:{lang}" for lang in LANGS))


async def _movable(desk: Desk, conversation_id: str) -> Conversation:
    conversation = await desk.conversation(conversation_id)
    if conversation.status not in MOVABLE:
        raise InvalidTransition(f"a conversation that is {conversation.status.value} "
                                "cannot be transferred")
    return conversation


async def move_to_operator(desk: Desk, conversation_id: str, target: str, actor: str) -> None:
    """Give the conversation to `target` (who must be available with room).

    InvalidInput when the target is unavailable, full or already has it; InvalidTransition
    when the conversation is not open.
    """
    await desk.give_to(await _movable(desk, conversation_id), target, actor)


async def move_to_skill(desk: Desk, conversation_id: str, target: str, note: str,
                        actor: str) -> None:
    """Requeue the conversation at the head of the queue of `target` ("topic:NAME" or
    "lang:CODE"), with `note` for the next operator; the topic or the language becomes the
    conversation's. InvalidInput on an unknown skill; InvalidTransition when not open."""
    if target not in SKILL_TARGETS:
        raise InvalidInput(f"unknown skill {target[:40]!r}")
    kind, value = target.split(":", 1)
    conversation = await _movable(desk, conversation_id)
    field = "topic" if kind == "topic" else "lang"
    record = json.dumps({"by": actor, "to": target, "at": utcnow().isoformat(),
                         "text": note.strip()[:MAX_NOTE]})
    if not await desk.requeue(conversation_id, conversation.operator, actor,
                              **{field: value, "transfer_note": record}):
        raise InvalidTransition("the conversation changed meanwhile; open it again")
    await desk.announce_transfer(conversation_id, actor, to=target,
                                 previous=conversation.operator or "")
    await desk.assign()


def transfer_note(fields: dict[str, str]) -> dict[str, str] | None:
    """The last skill transfer's note of a conversation hash, if any."""
    raw = fields.get("transfer_note")
    if not raw:
        return None
    try:
        note = json.loads(raw)
    except ValueError:
        return None
    return {k: str(note.get(k, "")) for k in ("by", "to", "at", "text")}
