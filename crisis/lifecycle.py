"""Lifecycle state machines of crises and publications (pure: no I/O).

Each allowed transition is listed explicitly; anything else raises InvalidTransition with a
message that says what is possible from the current state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, TypeVar

from crisis.errors import InvalidInput, InvalidTransition
from crisis.types import ConversationStatus, CrisisState, EventType, PublicationStatus

LEVELS: Final = (1, 2, 3)


class CrisisAction(StrEnum):
    ACTIVATE = "activate"
    CHANGE_LEVEL = "change-level"
    DE_ESCALATE = "de-escalate"
    RE_ESCALATE = "re-escalate"
    CLOSE = "close"


class PublicationAction(StrEnum):
    SUBMIT = "submit"
    VALIDATE = "validate"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    EDIT = "edit"
    ARCHIVE = "archive"


# (state, action) -> next state. Closing from "prepared" cancels a crisis never activated.
CRISIS_TRANSITIONS: Final[Mapping[tuple[CrisisState, CrisisAction], CrisisState]] = {
    (CrisisState.PREPARED, CrisisAction.ACTIVATE): CrisisState.ACTIVE,
    (CrisisState.PREPARED, CrisisAction.CLOSE): CrisisState.CLOSED,
    (CrisisState.ACTIVE, CrisisAction.CHANGE_LEVEL): CrisisState.ACTIVE,
    (CrisisState.ACTIVE, CrisisAction.DE_ESCALATE): CrisisState.DE_ESCALATING,
    (CrisisState.ACTIVE, CrisisAction.CLOSE): CrisisState.CLOSED,
    (CrisisState.DE_ESCALATING, CrisisAction.RE_ESCALATE): CrisisState.ACTIVE,
    (CrisisState.DE_ESCALATING, CrisisAction.CHANGE_LEVEL): CrisisState.DE_ESCALATING,
    (CrisisState.DE_ESCALATING, CrisisAction.CLOSE): CrisisState.CLOSED,
}

# A published text is never edited in place: withdraw it, or publish a new version (EDIT
# from PUBLISHED makes a new draft version; the published one stays online until replaced).
PUBLICATION_TRANSITIONS: Final[
    Mapping[tuple[PublicationStatus, PublicationAction], PublicationStatus]
] = {
    (PublicationStatus.DRAFT, PublicationAction.EDIT): PublicationStatus.DRAFT,
    (PublicationStatus.DRAFT, PublicationAction.SUBMIT): PublicationStatus.SUBMITTED,
    (PublicationStatus.DRAFT, PublicationAction.VALIDATE): PublicationStatus.VALIDATED,
    (PublicationStatus.DRAFT, PublicationAction.PUBLISH): PublicationStatus.PUBLISHED,
    (PublicationStatus.SUBMITTED, PublicationAction.EDIT): PublicationStatus.DRAFT,
    (PublicationStatus.SUBMITTED, PublicationAction.VALIDATE): PublicationStatus.VALIDATED,
    (PublicationStatus.SUBMITTED, PublicationAction.PUBLISH): PublicationStatus.PUBLISHED,
    (PublicationStatus.VALIDATED, PublicationAction.EDIT): PublicationStatus.DRAFT,
    (PublicationStatus.VALIDATED, PublicationAction.PUBLISH): PublicationStatus.PUBLISHED,
    (PublicationStatus.PUBLISHED, PublicationAction.WITHDRAW): PublicationStatus.WITHDRAWN,
    (PublicationStatus.PUBLISHED, PublicationAction.EDIT): PublicationStatus.DRAFT,
    (PublicationStatus.WITHDRAWN, PublicationAction.EDIT): PublicationStatus.DRAFT,
    # Closing a crisis archives its published texts: they stay online (links shared during
    # the crisis keep working) but leave the home page, the feeds and the lite pages, and
    # their pages say they are no longer in force. Only closing does this, not de-escalating:
    # while a crisis is being lifted its instructions are lifted one by one (the cell
    # withdraws or replaces each), and "do not switch the power back on" may still hold; a
    # re-escalation would otherwise leave the public with no instruction at all.
    # An archived text can be withdrawn (taken offline) or edited into a new draft.
    (PublicationStatus.PUBLISHED, PublicationAction.ARCHIVE): PublicationStatus.ARCHIVED,
    (PublicationStatus.ARCHIVED, PublicationAction.WITHDRAW): PublicationStatus.WITHDRAWN,
    (PublicationStatus.ARCHIVED, PublicationAction.EDIT): PublicationStatus.DRAFT,
}


S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


def advance(table: Mapping[tuple[S, A], S], state: S, action: A, noun: str) -> S:
    """The state after `action` per `table`, or InvalidTransition naming what is allowed now."""
    try:
        return table[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in table if s == state)
        hint = f"; allowed now: {', '.join(allowed)}" if allowed else "; it is final"
        raise InvalidTransition(
            f"cannot {action.value} {noun} that is {state.value}{hint}") from None


def next_crisis_state(state: CrisisState, action: CrisisAction) -> CrisisState:
    return advance(CRISIS_TRANSITIONS, state, action, "a crisis")


def next_publication_status(
    status: PublicationStatus, action: PublicationAction
) -> PublicationStatus:
    return advance(PUBLICATION_TRANSITIONS, status, action, "a publication")


def check_level(level: int) -> int:
    """A crisis level is 1 (watch), 2 (warning) or 3 (emergency)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be 1, 2 or 3, not {level}")
    return level


class ConversationAction(StrEnum):
    AUTO_ANSWER = "auto-answer"
    QUEUE = "queue"
    ASSIGN = "assign"
    REPLY = "reply"  # an operator answered: now the citizen's turn
    CITIZEN_REPLY = "citizen-reply"
    REQUEUE = "requeue"  # not accepted in time, operator gone, or transferred
    CLOSE = "close"


# The event each conversation transition writes (channels/store.py).
EVENT_FOR_CONVERSATION_ACTION: Final[Mapping[ConversationAction, EventType]] = {
    ConversationAction.AUTO_ANSWER: EventType.CONVERSATION_AUTO_ANSWERED,
    ConversationAction.QUEUE: EventType.CONVERSATION_QUEUED,
    ConversationAction.ASSIGN: EventType.CONVERSATION_ASSIGNED,
    ConversationAction.REPLY: EventType.CONVERSATION_REPLIED,
    ConversationAction.CITIZEN_REPLY: EventType.CONVERSATION_CITIZEN_REPLIED,
    ConversationAction.REQUEUE: EventType.CONVERSATION_REQUEUED,
    ConversationAction.CLOSE: EventType.CONVERSATION_CLOSED,
}

_C = ConversationStatus
_A = ConversationAction
CONVERSATION_TRANSITIONS: Final[Mapping[tuple[ConversationStatus, ConversationAction],
                                        ConversationStatus]] = {
    (_C.NEW, _A.AUTO_ANSWER): _C.AUTO_ANSWERED,
    (_C.NEW, _A.QUEUE): _C.QUEUED,
    (_C.NEW, _A.CLOSE): _C.CLOSED,
    (_C.AUTO_ANSWERED, _A.AUTO_ANSWER): _C.AUTO_ANSWERED,
    (_C.AUTO_ANSWERED, _A.QUEUE): _C.QUEUED,
    (_C.AUTO_ANSWERED, _A.CLOSE): _C.CLOSED,
    (_C.QUEUED, _A.ASSIGN): _C.ASSIGNED,
    (_C.QUEUED, _A.CLOSE): _C.CLOSED,  # abandoned, or handled by self-service
    (_C.QUEUED, _A.QUEUE): _C.QUEUED,  # the citizen writes again while waiting
    # The second look answered before any operator took it (channels/second_look_consumer.py).
    (_C.QUEUED, _A.AUTO_ANSWER): _C.AUTO_ANSWERED,
    (_C.ASSIGNED, _A.REPLY): _C.WAITING_CITIZEN,
    (_C.ASSIGNED, _A.CITIZEN_REPLY): _C.ASSIGNED,
    (_C.ASSIGNED, _A.REQUEUE): _C.QUEUED,
    (_C.ASSIGNED, _A.CLOSE): _C.CLOSED,
    (_C.WAITING_CITIZEN, _A.REPLY): _C.WAITING_CITIZEN,
    (_C.WAITING_CITIZEN, _A.CITIZEN_REPLY): _C.ASSIGNED,
    (_C.WAITING_CITIZEN, _A.REQUEUE): _C.QUEUED,
    (_C.WAITING_CITIZEN, _A.CLOSE): _C.CLOSED,
}


def next_conversation_status(
    status: ConversationStatus, action: ConversationAction
) -> ConversationStatus:
    return advance(CONVERSATION_TRANSITIONS, status, action, "a conversation")
