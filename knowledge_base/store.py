"""Articles in Redis: every version kept, lifecycle transitions, the live (published) copies.

Each write is one optimistic transaction (WATCH the article key; write the latest version,
append it to the history, update the live copy, the audit entry and the event together), so
two people acting at once never lose a change and no event announces a change that did not
happen. Keys are listed in knowledge_base/keys.py.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import cast

import msgspec
import redis.asyncio as aioredis

from crisis.accounts import require_role
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, NotFound
from crisis.events import EventBus, make_event
from crisis.keys import Keys
from crisis.lua_scripts import register_lua
from crisis.transactions import watched_update
from crisis.types import ArticleStatus, EventType, Principal, utcnow
from knowledge_base.article import Article
from knowledge_base.keys import KbKeys
from knowledge_base.lifecycle import (
    EVENT_FOR_ACTION, ROLE_FOR_ACTION, ArticleAction, next_article_status,
)

MAX_REASON = 1000


class ArticleVersion(msgspec.Struct, frozen=True, kw_only=True):
    """One version of an article with who wrote it, who validated it and what made it."""

    article: Article
    version: int
    action: str
    author: str  # who wrote this text
    changed_by: str  # who made this version (an edit or a transition)
    changed_at: dt.datetime
    validated_by: str | None = None
    validated_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    reason: str = ""

    @property
    def id(self) -> str:
        return self.article.id

    @property
    def status(self) -> ArticleStatus:
        # An in-memory replace() may have set a plain string; a decoded one is the enum.
        return ArticleStatus(self.article.status)


Change = Callable[[ArticleVersion | None], ArticleVersion]


def _decode(raw: str | bytes) -> ArticleVersion:
    return msgspec.json.decode(raw, type=ArticleVersion)


def _check_id(article_id: str) -> str:
    if not article_id or len(article_id) > 80 or not all(c.isascii() and (c.isalnum() or c == "-")
                                                         for c in article_id) \
            or article_id != article_id.lower():
        raise InvalidInput(f"invalid article id {article_id[:80]!r}: lowercase letters, digits and '-'")
    return article_id


def article_text(article: Article) -> list[str]:
    """The fields a reviewer compares, one line each (the answer keeps its own lines)."""
    return [f"id: {article.id}", f"lang: {article.lang}", f"audience: {article.audience}",
            f"question: {article.question}",
            *[f"alternate: {a}" for a in article.alternates],
            f"tags: {', '.join(article.tags)}", f"areas: {', '.join(article.areas) or 'national'}",
            f"crisis: {article.crisis or '-'}", f"publications: {', '.join(article.publications)}",
            "answer:", *article.answer.splitlines()]


class ArticleStore:
    """Read and write articles; every write checks the actor's role and is audited."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, bus: EventBus) -> None:
        self.redis = redis
        self.core = keys
        self.keys = KbKeys(keys)
        self.bus = bus
        # The learning loop's scripts (.lua beside knowledge_base.alternates and .learning),
        # registered once per store.
        self.count_repeat_script = register_lua(redis, "knowledge_base", "alternates_count_repeat.lua")
        self.record_unanswered_script = register_lua(redis, "knowledge_base", "learning_record_unanswered.lua")

    async def get(self, article_id: str) -> ArticleVersion:
        """The latest version (maybe a draft); NotFound if there is no such article."""
        raw = await self.redis.get(self.keys.article(_check_id(article_id)))
        if raw is None:
            raise NotFound(f"no article {article_id!r}")
        return _decode(raw)

    async def get_live(self, article_id: str) -> ArticleVersion | None:
        raw = await self.redis.get(self.keys.live(_check_id(article_id)))
        return None if raw is None else _decode(raw)

    async def get_live_many(self, article_ids: Iterable[str]) -> dict[str, ArticleVersion | None]:
        """`get_live` of each id, in one round trip."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.get(self.keys.live(_check_id(article_id)))
            raws = await pipe.execute()
        return {i: None if raw is None else _decode(raw) for i, raw in zip(ids, raws)}

    async def history(self, article_id: str) -> list[ArticleVersion]:
        raws = await self.redis.lrange(self.keys.versions(_check_id(article_id)), 0, -1)
        if not raws:
            raise NotFound(f"no article {article_id!r}")
        return [_decode(r) for r in raws]

    async def ids(self) -> list[str]:
        """Every article id, most recently changed first."""
        ids = cast(list[str], await self.redis.zrevrange(self.keys.articles, 0, -1))
        return ids

    async def latest(self, *, status: str | None = None) -> list[ArticleVersion]:
        """Latest version of every article (optionally of one status), most recent first."""
        ids = await self.ids()
        raws = await self.redis.mget([self.keys.article(i) for i in ids]) if ids else []
        versions = [_decode(r) for r in raws if r is not None]
        return [v for v in versions if status is None or v.status == status]

    async def published(self, *, audience: str | None = None) -> list[Article]:
        """The live articles (what the search indexes and the site show), optionally one audience."""
        ids = await self.ids()
        raws = await self.redis.mget([self.keys.live(i) for i in ids]) if ids else []
        articles = [_decode(r).article for r in raws if r is not None]
        return [a for a in articles if audience is None or a.audience == audience]

    async def generation(self) -> int:
        """The counter bumped whenever the live articles or the synonyms change."""
        return int(await self.redis.get(self.keys.generation) or 0)

    async def diff(self, article_id: str, old: int, new: int) -> str:
        """Unified diff between two versions of an article (fields one per line)."""
        versions = {v.version: v for v in await self.history(article_id)}
        missing = [n for n in (old, new) if n not in versions]
        if missing:
            raise NotFound(f"article {article_id!r} has no version {missing[0]}")
        return "\n".join(difflib.unified_diff(
            article_text(versions[old].article), article_text(versions[new].article),
            f"{article_id} v{old}", f"{article_id} v{new}", lineterm=""))

    async def save_draft(self, article: Article, *, actor: Principal, reason: str = "") -> ArticleVersion:
        """Create an article, or a new draft version of an existing one (a live one stays live)."""
        require_role(actor, ROLE_FOR_ACTION[ArticleAction.EDIT], "draft articles")
        _check_id(article.id)
        await self._check_links(article)
        now = utcnow()

        def change(before: ArticleVersion | None) -> ArticleVersion:
            if before is not None:
                next_article_status(before.status, ArticleAction.EDIT)
            return ArticleVersion(
                article=msgspec.structs.replace(article, status="draft"),
                version=before.version + 1 if before else 1, action=ArticleAction.EDIT.value,
                author=actor.label(), changed_by=actor.label(), changed_at=now, reason=reason)

        return await self.write(article.id, ArticleAction.EDIT, actor, change, reason=reason)

    async def move(self, article_id: str, action: ArticleAction, *, actor: Principal,
                   reason: str = "") -> ArticleVersion:
        """Submit, validate, publish, reject or archive; InvalidTransition if not allowed now."""
        if action is ArticleAction.EDIT:
            raise InvalidInput("use save_draft to edit an article")
        require_role(actor, ROLE_FOR_ACTION[action], f"{action.value} articles")
        now = utcnow()

        def change(before: ArticleVersion | None) -> ArticleVersion:
            if before is None:
                raise NotFound(f"no article {article_id!r}")
            status = next_article_status(before.status, action)
            updates: dict[str, object] = {}
            if action in (ArticleAction.VALIDATE, ArticleAction.PUBLISH) and before.validated_by is None:
                updates.update(validated_by=actor.label(), validated_at=now)
            if action is ArticleAction.PUBLISH:
                updates["published_at"] = now
            return msgspec.structs.replace(
                before, article=msgspec.structs.replace(before.article, status=status),
                version=before.version + 1, action=action.value, changed_by=actor.label(),
                changed_at=now, reason=reason[:MAX_REASON], **updates)

        return await self.write(article_id, action, actor, change, reason=reason)

    async def _check_links(self, article: Article) -> None:
        for publication_id in article.publications:
            if not await self.redis.exists(self.core.publication(publication_id)):
                raise InvalidInput(f"the article links publication {publication_id!r}, which does not exist")
        if article.crisis and not await self.redis.exists(self.core.crisis(article.crisis)):
            raise InvalidInput(f"the article names crisis {article.crisis!r}, which does not exist")

    async def write(self, article_id: str, action: ArticleAction | str, actor: Principal,
                    change: Change, *, reason: str = "", event: EventType | None = None,
                    also: Callable[[aioredis.client.Pipeline], None] | None = None) -> ArticleVersion:
        """Apply `change` to the latest version in one transaction (retried on a concurrent write).

        `action` names the audit entry (kb.article.<action>); the event is the action's own
        (EVENT_FOR_ACTION) unless `event` is given; `also` queues more writes in the same transaction.
        """
        key = self.keys.article(_check_id(article_id))
        label = str(action)
        name = event or EVENT_FOR_ACTION[ArticleAction(label)]
        async def step(pipe: aioredis.client.Pipeline) -> ArticleVersion:
            raw = await pipe.get(key)
            before = _decode(raw) if raw else None
            after = change(before)
            pipe.multi()  # type: ignore[no-untyped-call]
            self.queue_version(pipe, before, after)
            if also is not None:
                also(pipe)
            add_audit(pipe, self.core, audit_entry(
                actor, f"kb.article.{label}", article_id,
                before=f"v{before.version} {before.status}" if before else None,
                after=f"v{after.version} {after.status}"))
            self.bus.add_to(pipe, make_event(
                name, actor=actor.label(), subject=article_id, reason=reason[:MAX_REASON],
                version=after.version, status=after.status, lang=after.article.lang))
            return after

        return await watched_update(self.redis, key, step)

    def queue_version(self, pipe: aioredis.client.Pipeline, before: ArticleVersion | None,
                      after: ArticleVersion) -> None:
        """Queue the writes of a new version on a transaction (latest, history, live, generation)."""
        encoded = msgspec.json.encode(after)
        article_id = after.id
        pipe.set(self.keys.article(article_id), encoded)
        pipe.rpush(self.keys.versions(article_id), encoded)
        pipe.zadd(self.keys.articles, {article_id: after.changed_at.timestamp()})
        if after.status == "published":
            pipe.set(self.keys.live(article_id), encoded)
            pipe.incr(self.keys.generation)
        elif after.status == "archived":
            pipe.delete(self.keys.live(article_id))
            pipe.incr(self.keys.generation)


def same_text(a: Article, b: Article) -> bool:
    """Whether two articles say the same thing (status aside)."""
    return msgspec.structs.replace(a, status="draft") == msgspec.structs.replace(b, status="draft")


def by_id(versions: Sequence[ArticleVersion]) -> dict[str, ArticleVersion]:
    return {v.id: v for v in versions}
