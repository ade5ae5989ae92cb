"""Publications in Redis: drafting, validation, publication, withdrawal, archiving, with history.

Roles: a supervisor drafts and submits; the cell validates, publishes and withdraws. Every
change appends a version (nothing is overwritten), and the live version, the one every
channel shows, is kept apart so a new draft never takes a published text offline.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable

import msgspec
import redis.asyncio as aioredis

from crisis.accounts import require_role
from crisis.areas import parse_areas
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, InvalidTransition, NotFound
from crisis.statements import statement_entry
from crisis.events import EventBus, make_event
from crisis.keys import Keys
from crisis.lifecycle import PublicationAction, next_publication_status
from crisis.publication_file import PublicationDraft, check_slug
from crisis.transactions import watched_update
from crisis.types import (
    Crisis, CrisisState, EventType, Principal, Publication, PublicationStatus, Role, Scenario,
    utcnow,
)

_ROLE_FOR = {
    PublicationAction.EDIT: Role.SUPERVISOR,
    PublicationAction.SUBMIT: Role.SUPERVISOR,
    PublicationAction.VALIDATE: Role.CELL,
    PublicationAction.PUBLISH: Role.CELL,
    PublicationAction.WITHDRAW: Role.CELL,
    PublicationAction.ARCHIVE: Role.CELL,
}
_EVENT_FOR = {
    PublicationAction.EDIT: EventType.PUBLICATION_DRAFTED,
    PublicationAction.SUBMIT: EventType.PUBLICATION_SUBMITTED,
    PublicationAction.VALIDATE: EventType.PUBLICATION_VALIDATED,
    PublicationAction.PUBLISH: EventType.PUBLICATION_PUBLISHED,
    PublicationAction.WITHDRAW: EventType.PUBLICATION_WITHDRAWN,
    PublicationAction.ARCHIVE: EventType.PUBLICATION_ARCHIVED,
}


class Publications:
    """The store and lifecycle of publications."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, bus: EventBus) -> None:
        self.redis = redis
        self.keys = keys
        self.bus = bus

    async def get(self, publication_id: str) -> Publication:
        """The latest version (maybe a draft)."""
        raw = await self.redis.get(self.keys.publication(check_slug(publication_id)))
        if raw is None:
            raise NotFound(f"no publication {publication_id!r}")
        return msgspec.json.decode(raw, type=Publication)

    async def history(self, publication_id: str) -> builtins.list[Publication]:
        raws = await self.redis.lrange(self.keys.publication_versions(publication_id), 0, -1)
        return [msgspec.json.decode(r, type=Publication) for r in raws]

    async def list(self) -> builtins.list[Publication]:
        """Latest version of every publication, most recently changed first."""
        ids = [str(i) for i in await self.redis.zrevrange(self.keys.publications, 0, -1)]
        raws = await self.redis.mget([self.keys.publication(i) for i in ids]) if ids else []
        return [msgspec.json.decode(r, type=Publication) for r in raws if r is not None]

    async def list_live(self) -> builtins.list[Publication]:
        """What the public sees: the published (or archived) version of each publication."""
        ids = [str(i) for i in await self.redis.zrevrange(self.keys.publications, 0, -1)]
        raws = await self.redis.mget([self.keys.publication_live(i) for i in ids]) if ids else []
        return [msgspec.json.decode(r, type=Publication) for r in raws if r is not None]

    async def save_draft(self, draft: PublicationDraft, *, actor: Principal) -> Publication:
        """Create a publication, or a new draft version of an existing one."""
        require_role(actor, Role.SUPERVISOR, "draft publications")
        areas = parse_areas(list(draft.areas)) if draft.areas else ()
        if draft.crisis_id:
            raw = await self.redis.get(self.keys.crisis(draft.crisis_id))
            if raw is None:
                raise InvalidInput(
                    f"the front matter names crisis {draft.crisis_id!r}, which does not exist")
            # A closed crisis's texts are archived: a new one would be shown as no longer in
            # force the moment it is published.
            if msgspec.json.decode(raw, type=Crisis).state is CrisisState.CLOSED:
                raise InvalidInput(f"crisis {draft.crisis_id!r} is closed: its publications are "
                                   "archived; name a live crisis or none")
        now = utcnow()

        def change(before: Publication | None) -> Publication:
            if before is not None:
                next_publication_status(before.status, PublicationAction.EDIT)
            return Publication(
                id=draft.id, title=draft.title, body=draft.body, lang=draft.lang,
                priority=draft.priority, status=PublicationStatus.DRAFT,
                crisis_id=draft.crisis_id, areas=areas, easy_read=draft.easy_read,
                push=draft.push, sms=draft.sms, version=before.version + 1 if before else 1, drafted_by=actor.label(),
                drafted_at=now, updated_at=now)

        return await self._write(draft.id, PublicationAction.EDIT, actor, change)

    async def move(
        self, publication_id: str, action: PublicationAction, *, actor: Principal,
        reason: str = "", at: dt.datetime | None = None,
    ) -> Publication:
        """Submit, validate, publish, withdraw or archive; InvalidTransition if not allowed now.

        `at` is the time of the change (archiving uses the crisis's closing time).
        """
        require_role(actor, _ROLE_FOR[action], f"{action.value} publications")
        now = at or utcnow()

        def change(before: Publication | None) -> Publication:
            if before is None:
                raise NotFound(f"no publication {publication_id!r}")
            status = next_publication_status(before.status, action)
            updates: dict[str, object] = {"status": status, "updated_at": now}
            if action in (PublicationAction.VALIDATE, PublicationAction.PUBLISH) \
                    and before.validated_by is None:
                updates.update(validated_by=actor.label(), validated_at=now)
            if action is PublicationAction.PUBLISH:
                updates["published_at"] = now
            if action is PublicationAction.WITHDRAW:
                updates.update(withdrawn_at=now, withdraw_reason=reason[:1000])
            if action is PublicationAction.ARCHIVE:
                updates["archived_at"] = now
            return msgspec.structs.replace(before, **updates)

        return await self._write(publication_id, action, actor, change, reason=reason)

    async def publish_document(self, draft: PublicationDraft, *, actor: Principal) -> Publication:
        """`crisis publish`: save, then go as far as the caller's role allows."""
        publication = await self.save_draft(draft, actor=actor)
        if actor.role.at_least(Role.CELL):
            return await self.move(draft.id, PublicationAction.PUBLISH, actor=actor)
        return await self.move(draft.id, PublicationAction.SUBMIT, actor=actor) \
            if publication.status is PublicationStatus.DRAFT else publication

    async def publish_instructions(
        self, crisis: Crisis, scenario: Scenario, *, actor: Principal
    ) -> builtins.list[Publication]:
        """At activation, the scenario's prepared (pre-validated) instructions go live."""
        published = []
        for instruction in scenario.instructions:
            for lang in ("fr", "en"):
                body = getattr(instruction.body, lang) or ""
                if not body:
                    continue
                suffix = "" if lang == "fr" else f"-{lang}"
                draft = PublicationDraft(
                    id=f"{crisis.id}-{instruction.slug}{suffix}"[:80].rstrip("-"),
                    title=instruction.title.in_lang(lang), body=body, lang=lang,
                    priority=instruction.priority, crisis_id=crisis.id, areas=crisis.areas)
                await self.save_draft(draft, actor=actor)
                published.append(await self.move(draft.id, PublicationAction.PUBLISH, actor=actor))
        return published

    async def archive_crisis(
        self, crisis_id: str, *, actor: Principal, reason: str = "", at: dt.datetime,
    ) -> builtins.list[Publication]:
        """Archive every published publication of `crisis_id` (its closing), stamped `at`.

        Each one is its own audited transition with its own event. A publication whose
        latest version is a draft on top of the published one is left as it is: the site
        already treats the published text of a closed crisis as archived.
        """
        archived = []
        for publication in await self.list():
            if publication.crisis_id == crisis_id \
                    and publication.status is PublicationStatus.PUBLISHED:
                try:
                    archived.append(await self.move(
                        publication.id, PublicationAction.ARCHIVE, actor=actor,
                        reason=reason or "crisis closed", at=at))
                except InvalidTransition:  # withdrawn or edited meanwhile: nothing to archive
                    continue
        return archived

    async def _write(
        self, publication_id: str, action: PublicationAction, actor: Principal,
        change: Callable[[Publication | None], Publication], reason: str = "",
    ) -> Publication:
        key = self.keys.publication(check_slug(publication_id))

        async def step(pipe: aioredis.client.Pipeline) -> Publication:
            raw = await pipe.get(key)
            before = msgspec.json.decode(raw, type=Publication) if raw else None
            after: Publication = change(before)
            encoded = msgspec.json.encode(after)
            head_raw = await pipe.get(self.keys.statement_head(publication_id))
            head = head_raw.decode() if isinstance(head_raw, bytes) else head_raw
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(key, encoded)
            pipe.rpush(self.keys.publication_versions(publication_id), encoded)
            pipe.zadd(self.keys.publications, {publication_id: after.updated_at.timestamp()})
            if after.status in (PublicationStatus.PUBLISHED, PublicationStatus.ARCHIVED):
                pipe.set(self.keys.publication_live(publication_id), encoded)
            elif after.status is PublicationStatus.WITHDRAWN:
                pipe.delete(self.keys.publication_live(publication_id))
            statement, statement_hash = statement_entry(after, action.value, actor, head)
            pipe.xadd(self.keys.statements, statement)  # type: ignore[arg-type]
            pipe.set(self.keys.statement_head(publication_id), statement_hash)
            add_audit(pipe, self.keys, audit_entry(
                actor, f"publication.{action.value}", publication_id,
                before=f"v{before.version} {before.status.value}" if before else None,
                after=f"v{after.version} {after.status.value}"))
            self.bus.add_to(pipe, make_event(
                _EVENT_FOR[action], actor=actor.label(), subject=publication_id,
                reason=reason, crisis=after.crisis_id, lang=after.lang,
                version=after.version, status=after.status.value))
            return after

        return await watched_update(self.redis, key, step)
