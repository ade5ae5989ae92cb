"""What the console shows, read from the desk: queue figures, conversation rows, suggestions."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter

from channels.answer_forms import answer_html, reply_text
from channels.desk import Desk
from crisis.errors import InvalidInput, NotFound
from crisis.types import Conversation, Message
from knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
SUGGESTIONS = 3
EXCERPT = 120


@dataclasses.dataclass(frozen=True)
class QueueSummary:
    waiting: int
    oldest_s: int | None
    by_channel: dict[str, int]
    by_topic: dict[str, int] = dataclasses.field(default_factory=dict)
    by_lang: dict[str, int] = dataclasses.field(default_factory=dict)

    def skill_counts(self) -> dict[str, int]:
        """Waiting conversations per skill target ("topic:eau", "lang:en")."""
        return {**{f"topic:{k}": n for k, n in self.by_topic.items()},
                **{f"lang:{k}": n for k, n in self.by_lang.items()}}


@dataclasses.dataclass(frozen=True)
class Row:
    conversation: Conversation
    last: str
    offered: bool


@dataclasses.dataclass(frozen=True)
class SuggestionView:
    id: str
    question: str
    text: str  # what "insert" puts in the reply box: plain text for the conversation's channel
    html: str  # the answer formatted (sanitised), to read


async def queue_summary(desk: Desk) -> QueueSummary:
    oldest = await desk.oldest_queued_change()
    # Queue entries are "lang|channel|topic|cost" (channels.router.skill_of).
    skills = [s.split("|") for s in await desk.queue_skills() if s.count("|") == 3]
    return QueueSummary(
        waiting=await desk.queue_length(),
        oldest_s=max(0, int(time.time() - oldest)) if oldest is not None else None,
        by_channel=dict(sorted(Counter(s[1] for s in skills).items())),
        by_topic=dict(sorted(Counter(s[2] for s in skills if s[2]).items())),
        by_lang=dict(sorted(Counter(s[0] for s in skills if s[0]).items())))


def last_citizen(messages: list[Message]) -> Message | None:
    return next((m for m in reversed(messages) if m.author == "citizen"), None)


async def rows(desk: Desk, conversation_ids: list[str]) -> list[Row]:
    """One row per conversation, newest change first; purged ones are skipped."""
    found: list[Row] = []
    for conversation_id in conversation_ids:
        try:
            conversation = await desk.conversation(conversation_id)
        except NotFound:
            continue
        # From the end of the conversation: a list row must not load a long history.
        last = await desk.last_citizen_message(conversation_id)
        offered = await desk.offered(conversation_id)
        excerpt = last.text[:EXCERPT] if last else ""
        found.append(Row(conversation, excerpt, offered))
    return sorted(found, key=lambda r: r.conversation.updated_at, reverse=True)


async def my_rows(desk: Desk, name: str) -> list[Row]:
    return await rows(desk, list((await desk.operator(name)).conversations))


async def queued_rows(desk: Desk, limit: int = 50) -> list[Row]:
    return await rows(desk, await desk.queued(limit))


async def suggestions_for(kb: KnowledgeBase, conversation: Conversation, messages: list[Message],
                          lang: str) -> list[SuggestionView]:
    """The knowledge base's top answers for the citizen's last message: formatted to read, and
    in the plain-text form of the conversation's channel to insert (the SMS text for SMS)."""
    last = last_citizen(messages)
    if last is None:
        return []
    try:
        hits = await kb.suggest(last.text, lang=conversation.lang if conversation.lang in
                                ("fr", "en") else lang, limit=SUGGESTIONS)
    except InvalidInput:  # empty once cleaned, or too long to search
        return []
    views = []
    for hit in hits:
        article = await kb.live_article(hit.id)
        if article is not None:
            views.append(SuggestionView(hit.id, hit.question,
                                        reply_text(article, conversation.channel),
                                        answer_html(article.answer)))
    return views
