"""Crises on a real Redis: each transition writes the state, one event and one audit entry."""

from __future__ import annotations

import asyncio

import pytest

from crisis.activation import activate_scenario
from crisis.audit import read_audit
from crisis.context import Context
from crisis.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from crisis.types import CrisisState, PublicationStatus
from tests.conftest import CELL, OPERATOR


async def test_activation_publishes_instructions_then_activates(ctx: Context) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation",
                                     areas="75, 92", level=2, actor=CELL)
    assert crisis.state is CrisisState.ACTIVE
    assert crisis.areas == ("75", "92")
    live = await ctx.publications.list_live()
    assert live and all(p.crisis_id == crisis.id for p in live)
    assert {p.lang for p in live} == {"fr", "en"}
    assert all(p.validated_by == CELL.label() for p in live)
    types = [e.type for e in await ctx.bus.read_all()]
    # Instructions go live before the crisis is announced, so the first site build has them.
    assert types.index("crisis.activated") > types.index("publication.published")


async def test_every_transition_is_an_event_with_who_and_why(ctx: Context) -> None:
    crisis = await ctx.crises.create("canicule", areas="13", level=1, actor=CELL)
    await ctx.crises.activate(crisis.id, actor=CELL, reason="alerte Météo-France")
    await ctx.crises.change_level(crisis.id, 3, actor=CELL, reason="pic de chaleur")
    await ctx.crises.de_escalate(crisis.id, actor=CELL)
    await ctx.crises.re_escalate(crisis.id, actor=CELL)
    closed = await ctx.crises.close(crisis.id, actor=CELL, reason="fin de l'épisode")
    assert closed.state is CrisisState.CLOSED and closed.closed_at is not None
    assert closed.version == 6
    events = [e for e in await ctx.bus.read_all() if e.subject == crisis.id]
    assert [e.type for e in events] == [
        "crisis.created", "crisis.activated", "crisis.level_changed", "crisis.de_escalating",
        "crisis.re_escalated", "crisis.closed"]
    assert events[2].reason == "pic de chaleur" and events[2].data["level"] == 3
    assert all(e.actor == "test:cell-tester" for e in events)
    audit = await read_audit(ctx.redis, ctx.keys)
    assert [a.action for a in audit if a.target == crisis.id][0] == "crisis.close"


async def test_illegal_transition_changes_nothing(ctx: Context) -> None:
    crisis = await ctx.crises.create("tempete", areas="29", level=1, actor=CELL)
    before = len(await ctx.bus.read_all())
    with pytest.raises(InvalidTransition):
        await ctx.crises.de_escalate(crisis.id, actor=CELL)
    assert (await ctx.crises.get(crisis.id)).state is CrisisState.PREPARED
    assert len(await ctx.bus.read_all()) == before


async def test_operators_cannot_change_crises(ctx: Context) -> None:
    with pytest.raises(Forbidden, match="needs cell"):
        await ctx.crises.create("tempete", areas="29", level=1, actor=OPERATOR)


async def test_bad_area_codes_are_named(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="99, zz"):
        await ctx.crises.create("tempete", areas="29,99,zz", level=1, actor=CELL)


async def test_unknown_crisis_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFound):
        await ctx.crises.close("nope-1", actor=CELL)


async def test_concurrent_level_changes_all_land(ctx: Context) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "attentat", areas="75",
                                     level=1, actor=CELL)
    await asyncio.gather(*(ctx.crises.change_level(crisis.id, 1 + i % 3, actor=CELL)
                           for i in range(20)))
    final = await ctx.crises.get(crisis.id)
    # 1 create + 1 activate + 20 level changes: no change was lost to a race.
    assert final.version == 22


async def test_several_crises_live_at_once(ctx: Context) -> None:
    for scenario, area in (("inondation", "33"), ("canicule", "13")):
        await activate_scenario(ctx.crises, ctx.publications, scenario, areas=area, level=1,
                                actor=CELL)
    assert {c.scenario_id for c in await ctx.crises.list_live()} == {"inondation", "canicule"}


async def test_instructions_survive_a_new_draft(ctx: Context) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75",
                                     level=1, actor=CELL)
    first = (await ctx.publications.list_live())[0]
    from crisis.publication_file import PublicationDraft
    await ctx.publications.save_draft(PublicationDraft(
        id=first.id, title="Nouvelle version", body="Texte", crisis_id=crisis.id), actor=CELL)
    assert (await ctx.publications.get(first.id)).status is PublicationStatus.DRAFT
    assert first.id in {p.id for p in await ctx.publications.list_live()}
