"""The cursor of a conversation listing: where the previous page's scan stopped.

Conversations are listed newest first from a sorted set scored by their last change time.
Several conversations can share a score (a batch handled with one clock reading), so a bare
score cannot say where to go on: "after 12.5" would skip the others at 12.5, "from 12.5"
would repeat them. The cursor is the score plus how many members at that exact score the
scan already passed, written `score:skip` in the API.
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True, slots=True)
class PageCursor:
    score: float
    skip: int = 0  # members at exactly `score` already passed

    def __str__(self) -> str:
        return f"{self.score!r}:{self.skip}"

    @classmethod
    def parse(cls, text: str) -> PageCursor:
        """The cursor an API `next` gave; ValueError when it is not one. A bare score (the
        form `next` had before ties were handled) still reads, as a cursor skipping none."""
        score_text, _, skip_text = text.partition(":")
        score = float(score_text)
        skip = int(skip_text) if skip_text else 0
        if not math.isfinite(score) or skip < 0:
            raise ValueError(text)
        return cls(score, skip)
