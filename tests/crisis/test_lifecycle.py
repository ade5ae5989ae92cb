"""The crisis and publication state machines: every legal and every illegal transition."""

from __future__ import annotations

import itertools

import pytest

from crisis.errors import InvalidInput, InvalidTransition
from crisis.lifecycle import (
    CRISIS_TRANSITIONS, PUBLICATION_TRANSITIONS, CrisisAction, PublicationAction, check_level,
    next_crisis_state, next_publication_status,
)
from crisis.types import CrisisState, PublicationStatus

LEGAL_CRISIS = {
    (CrisisState.PREPARED, CrisisAction.ACTIVATE): CrisisState.ACTIVE,
    (CrisisState.PREPARED, CrisisAction.CLOSE): CrisisState.CLOSED,
    (CrisisState.ACTIVE, CrisisAction.CHANGE_LEVEL): CrisisState.ACTIVE,
    (CrisisState.ACTIVE, CrisisAction.DE_ESCALATE): CrisisState.DE_ESCALATING,
    (CrisisState.ACTIVE, CrisisAction.CLOSE): CrisisState.CLOSED,
    (CrisisState.DE_ESCALATING, CrisisAction.RE_ESCALATE): CrisisState.ACTIVE,
    (CrisisState.DE_ESCALATING, CrisisAction.CHANGE_LEVEL): CrisisState.DE_ESCALATING,
    (CrisisState.DE_ESCALATING, CrisisAction.CLOSE): CrisisState.CLOSED,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(CrisisState, CrisisAction)))
def test_every_crisis_transition_is_either_listed_or_refused(
    state: CrisisState, action: CrisisAction
) -> None:
    if (state, action) in LEGAL_CRISIS:
        assert next_crisis_state(state, action) is LEGAL_CRISIS[(state, action)]
    else:
        with pytest.raises(InvalidTransition, match=f"cannot {action.value}"):
            next_crisis_state(state, action)


def test_the_table_is_the_one_the_tests_expect() -> None:
    assert dict(CRISIS_TRANSITIONS) == LEGAL_CRISIS


def test_a_closed_crisis_is_final_and_the_message_says_so() -> None:
    with pytest.raises(InvalidTransition, match="it is final"):
        next_crisis_state(CrisisState.CLOSED, CrisisAction.ACTIVATE)


def test_an_illegal_transition_names_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition, match="allowed now: activate, close"):
        next_crisis_state(CrisisState.PREPARED, CrisisAction.DE_ESCALATE)


@pytest.mark.parametrize(("status", "action"),
                         list(itertools.product(PublicationStatus, PublicationAction)))
def test_every_publication_transition_is_either_listed_or_refused(
    status: PublicationStatus, action: PublicationAction
) -> None:
    if (status, action) in PUBLICATION_TRANSITIONS:
        assert next_publication_status(status, action) is PUBLICATION_TRANSITIONS[(status, action)]
    else:
        with pytest.raises(InvalidTransition):
            next_publication_status(status, action)


def test_withdrawn_cannot_be_published_again_without_a_new_version() -> None:
    with pytest.raises(InvalidTransition):
        next_publication_status(PublicationStatus.WITHDRAWN, PublicationAction.PUBLISH)
    assert next_publication_status(PublicationStatus.WITHDRAWN, PublicationAction.EDIT) \
        is PublicationStatus.DRAFT


def test_only_a_published_text_is_archived_and_an_archived_one_is_never_republished() -> None:
    assert next_publication_status(PublicationStatus.PUBLISHED, PublicationAction.ARCHIVE) \
        is PublicationStatus.ARCHIVED
    for status in (PublicationStatus.DRAFT, PublicationStatus.WITHDRAWN, PublicationStatus.ARCHIVED):
        with pytest.raises(InvalidTransition, match="cannot archive"):
            next_publication_status(status, PublicationAction.ARCHIVE)
    with pytest.raises(InvalidTransition, match="allowed now: edit, withdraw"):
        next_publication_status(PublicationStatus.ARCHIVED, PublicationAction.PUBLISH)


@pytest.mark.parametrize("level", [0, 4, -1, 99])
def test_levels_outside_one_to_three_are_refused(level: int) -> None:
    with pytest.raises(InvalidInput, match="level must be 1, 2 or 3"):
        check_level(level)
