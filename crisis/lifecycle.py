"""Lifecycle state machines of crises and publications (pure: no I/O).

Each allowed transition is listed explicitly; anything else raises InvalidTransition with a
message that says what is possible from the current state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from crisis.errors import InvalidInput, InvalidTransition
from crisis.types import CrisisState, PublicationStatus

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
}


def next_crisis_state(state: CrisisState, action: CrisisAction) -> CrisisState:
    """The state after `action`, or InvalidTransition naming the actions allowed now."""
    try:
        return CRISIS_TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in CRISIS_TRANSITIONS if s == state)
        hint = f"; allowed now: {', '.join(allowed)}" if allowed else "; it is final"
        raise InvalidTransition(f"cannot {action.value} a crisis that is {state.value}{hint}") from None


def next_publication_status(
    status: PublicationStatus, action: PublicationAction
) -> PublicationStatus:
    """The status after `action`, or InvalidTransition naming the actions allowed now."""
    try:
        return PUBLICATION_TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in PUBLICATION_TRANSITIONS if s == status)
        raise InvalidTransition(
            f"cannot {action.value} a publication that is {status.value}; "
            f"allowed now: {', '.join(allowed)}"
        ) from None


def check_level(level: int) -> int:
    """A crisis level is 1 (watch), 2 (warning) or 3 (emergency)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be 1, 2 or 3, not {level}")
    return level
