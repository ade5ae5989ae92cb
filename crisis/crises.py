"""Crises in Redis: creation and every lifecycle transition, each an event and an audit entry.

A transition is one optimistic transaction (WATCH the crisis key, write the new state, the
event and the audit entry together), so two cell members acting at once never lose a change
and no event is ever written for a change that did not happen.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import msgspec
import redis.asyncio as aioredis

from crisis.accounts import require_role
from crisis.areas import parse_areas
from crisis.audit import add_audit, audit_entry
from crisis.errors import InvalidInput, NotFound
from crisis.events import EventBus, make_event
from crisis.keys import Keys
from crisis.lifecycle import CrisisAction, check_level, next_crisis_state
from crisis.publications import Publications
from crisis.scenarios import get_scenario
from crisis.transactions import watched_update
from crisis.types import Crisis, CrisisState, EventType, Principal, Role, utcnow

MAX_TITLE = 200
MAX_REASON = 1000

_EVENT_FOR_ACTION = {
    CrisisAction.ACTIVATE: EventType.CRISIS_ACTIVATED,
    CrisisAction.CHANGE_LEVEL: EventType.CRISIS_LEVEL_CHANGED,
    CrisisAction.DE_ESCALATE: EventType.CRISIS_DE_ESCALATING,
    CrisisAction.RE_ESCALATE: EventType.CRISIS_RE_ESCALATED,
    CrisisAction.CLOSE: EventType.CRISIS_CLOSED,
}


def _bounded(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if len(text) > limit:
        raise InvalidInput(f"{what} is too long: {len(text)} characters, at most {limit}")
    return text


class Crises:
    """Create, read and move crises through their lifecycle (cell role for every write)."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, bus: EventBus) -> None:
        self.redis = redis
        self.keys = keys
        self.bus = bus

    async def create(
        self, scenario_id: str, *, areas: str | list[str], level: int, actor: Principal,
        title: str = "",
    ) -> Crisis:
        """A new crisis in state `prepared`, from a scenario template."""
        require_role(actor, Role.CELL, "create a crisis")
        scenario = get_scenario(scenario_id)
        codes = parse_areas(areas)
        check_level(level)
        title = _bounded(title, MAX_TITLE, "title") or scenario.title.fr
        now = utcnow()
        seq = await self.redis.incr(self.keys.crisis_seq)
        crisis = Crisis(
            id=f"{scenario.id}-{now:%Y%m%d}-{seq}", scenario_id=scenario.id, title=title,
            level=level, areas=codes, state=CrisisState.PREPARED, created_at=now,
            updated_at=now, created_by=actor.label(),
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.crisis(crisis.id), msgspec.json.encode(crisis))
            pipe.zadd(self.keys.crises, {crisis.id: now.timestamp()})
            add_audit(pipe, self.keys, audit_entry(actor, "crisis.create", crisis.id,
                                                   after=crisis.state.value))
            self.bus.add_to(pipe, make_event(
                EventType.CRISIS_CREATED, actor=actor.label(), subject=crisis.id,
                scenario=scenario.id, areas=list(codes), level=level))
            await pipe.execute()
        return crisis

    async def get(self, crisis_id: str) -> Crisis:
        raw = await self.redis.get(self.keys.crisis(crisis_id))
        if raw is None:
            raise NotFound(f"no crisis {crisis_id!r}; `crisis status` lists them")
        return msgspec.json.decode(raw, type=Crisis)

    async def list(self, *, include_closed: bool = True) -> builtins.list[Crisis]:
        """Crises, newest first."""
        ids = [str(i) for i in await self.redis.zrevrange(self.keys.crises, 0, -1)]
        raws = await self.redis.mget([self.keys.crisis(i) for i in ids]) if ids else []
        crises = [msgspec.json.decode(r, type=Crisis) for r in raws if r is not None]
        return [c for c in crises if include_closed or c.state is not CrisisState.CLOSED]

    async def list_live(self) -> builtins.list[Crisis]:
        """Crises the public must see: active or de-escalating."""
        live = (CrisisState.ACTIVE, CrisisState.DE_ESCALATING)
        return [c for c in await self.list(include_closed=False) if c.state in live]

    async def activate(self, crisis_id: str, *, actor: Principal, reason: str = "") -> Crisis:
        def change(c: Crisis) -> Crisis:
            return msgspec.structs.replace(c, activated_at=utcnow())
        return await self._transition(crisis_id, CrisisAction.ACTIVATE, actor, reason, change)

    async def change_level(
        self, crisis_id: str, level: int, *, actor: Principal, reason: str = ""
    ) -> Crisis:
        check_level(level)
        return await self._transition(
            crisis_id, CrisisAction.CHANGE_LEVEL, actor, reason,
            lambda c: msgspec.structs.replace(c, level=level))

    async def de_escalate(self, crisis_id: str, *, actor: Principal, reason: str = "") -> Crisis:
        return await self._transition(crisis_id, CrisisAction.DE_ESCALATE, actor, reason)

    async def re_escalate(self, crisis_id: str, *, actor: Principal, reason: str = "") -> Crisis:
        return await self._transition(crisis_id, CrisisAction.RE_ESCALATE, actor, reason)

    async def close(self, crisis_id: str, *, actor: Principal, reason: str = "") -> Crisis:
        """Close the crisis and archive its published publications (same closing time).

        The publications are archived first and the crisis closed last, so the
        `crisis.closed` event (which rebuilds the site) comes after every archive and one
        rebuild shows the whole closing. The transition is checked before anything is
        written; if the process dies in between, closing again finishes the job.
        """
        require_role(actor, Role.CELL, f"{CrisisAction.CLOSE.value} a crisis")
        next_crisis_state((await self.get(crisis_id)).state, CrisisAction.CLOSE)
        now = utcnow()
        await Publications(self.redis, self.keys, self.bus).archive_crisis(
            crisis_id, actor=actor, reason=_bounded(reason, MAX_REASON, "reason"), at=now)

        def change(c: Crisis) -> Crisis:
            return msgspec.structs.replace(c, closed_at=now)
        return await self._transition(crisis_id, CrisisAction.CLOSE, actor, reason, change)

    async def _transition(
        self, crisis_id: str, action: CrisisAction, actor: Principal, reason: str,
        change: Callable[[Crisis], Crisis] | None = None,
    ) -> Crisis:
        require_role(actor, Role.CELL, f"{action.value} a crisis")
        reason = _bounded(reason, MAX_REASON, "reason")
        key = self.keys.crisis(crisis_id)

        async def step(pipe: aioredis.client.Pipeline) -> Crisis:
            raw = await pipe.get(key)
            if raw is None:
                raise NotFound(f"no crisis {crisis_id!r}; `crisis status` lists them")
            before = msgspec.json.decode(raw, type=Crisis)
            state = next_crisis_state(before.state, action)
            after = change(before) if change else before
            after = msgspec.structs.replace(
                after, state=state, updated_at=utcnow(), version=before.version + 1)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(key, msgspec.json.encode(after))
            add_audit(pipe, self.keys, audit_entry(
                actor, f"crisis.{action.value}", crisis_id,
                before=f"{before.state.value}/level {before.level}",
                after=f"{after.state.value}/level {after.level}"))
            self.bus.add_to(pipe, make_event(
                _EVENT_FOR_ACTION[action], actor=actor.label(), subject=crisis_id,
                reason=reason, scenario=after.scenario_id, state=state.value,
                level=after.level, areas=list(after.areas)))
            return after

        return await watched_update(self.redis, key, step)
