"""Lifecycle of knowledge-base articles: the allowed transitions and who may make them (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from crisis.errors import InvalidTransition
from crisis.types import ArticleStatus, EventType, Role

Status = str  # one of article.Status: draft, submitted, validated, published, archived


class ArticleAction(StrEnum):
    EDIT = "edit"  # create, or a new draft version of the text
    SUBMIT = "submit"
    VALIDATE = "validate"
    PUBLISH = "publish"
    REJECT = "reject"  # the cell sends a submitted text back to draft
    ARCHIVE = "archive"


# (status, action) -> next status. A published article is never edited in place: EDIT makes
# a new draft version and the published one stays live until the new one is published.
# Archiving a draft discards it; an archived article comes back only through a new draft.
ARTICLE_TRANSITIONS: Final[Mapping[tuple[Status, ArticleAction], Status]] = {
    (ArticleStatus.DRAFT, ArticleAction.EDIT): ArticleStatus.DRAFT,
    (ArticleStatus.DRAFT, ArticleAction.SUBMIT): ArticleStatus.SUBMITTED,
    (ArticleStatus.DRAFT, ArticleAction.VALIDATE): ArticleStatus.VALIDATED,
    (ArticleStatus.DRAFT, ArticleAction.PUBLISH): ArticleStatus.PUBLISHED,
    (ArticleStatus.DRAFT, ArticleAction.ARCHIVE): ArticleStatus.ARCHIVED,
    (ArticleStatus.SUBMITTED, ArticleAction.EDIT): ArticleStatus.DRAFT,
    (ArticleStatus.SUBMITTED, ArticleAction.VALIDATE): ArticleStatus.VALIDATED,
    (ArticleStatus.SUBMITTED, ArticleAction.PUBLISH): ArticleStatus.PUBLISHED,
    (ArticleStatus.SUBMITTED, ArticleAction.REJECT): ArticleStatus.DRAFT,
    (ArticleStatus.SUBMITTED, ArticleAction.ARCHIVE): ArticleStatus.ARCHIVED,
    (ArticleStatus.VALIDATED, ArticleAction.EDIT): ArticleStatus.DRAFT,
    (ArticleStatus.VALIDATED, ArticleAction.PUBLISH): ArticleStatus.PUBLISHED,
    (ArticleStatus.VALIDATED, ArticleAction.REJECT): ArticleStatus.DRAFT,
    (ArticleStatus.VALIDATED, ArticleAction.ARCHIVE): ArticleStatus.ARCHIVED,
    (ArticleStatus.PUBLISHED, ArticleAction.EDIT): ArticleStatus.DRAFT,
    (ArticleStatus.PUBLISHED, ArticleAction.ARCHIVE): ArticleStatus.ARCHIVED,
    (ArticleStatus.ARCHIVED, ArticleAction.EDIT): ArticleStatus.DRAFT,
}

# Operators (and everyone above) propose texts; only the crisis cell decides what citizens read.
ROLE_FOR_ACTION: Final[Mapping[ArticleAction, Role]] = {
    ArticleAction.EDIT: Role.OPERATOR,
    ArticleAction.SUBMIT: Role.OPERATOR,
    ArticleAction.VALIDATE: Role.CELL,
    ArticleAction.PUBLISH: Role.CELL,
    ArticleAction.REJECT: Role.CELL,
    ArticleAction.ARCHIVE: Role.CELL,
}

EVENT_FOR_ACTION: Final[Mapping[ArticleAction, EventType]] = {
    ArticleAction.EDIT: EventType.KB_ARTICLE_DRAFTED,
    ArticleAction.SUBMIT: EventType.KB_ARTICLE_SUBMITTED,
    ArticleAction.VALIDATE: EventType.KB_ARTICLE_VALIDATED,
    ArticleAction.PUBLISH: EventType.KB_ARTICLE_PUBLISHED,
    ArticleAction.REJECT: EventType.KB_ARTICLE_REJECTED,
    ArticleAction.ARCHIVE: EventType.KB_ARTICLE_ARCHIVED,
}


def next_article_status(status: Status, action: ArticleAction) -> Status:
    """The status after `action`, or InvalidTransition naming the actions allowed now."""
    try:
        return ARTICLE_TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in ARTICLE_TRANSITIONS if s == status)
        raise InvalidTransition(
            f"cannot {action.value} an article that is {status}; allowed now: {', '.join(allowed)}"
        ) from None
