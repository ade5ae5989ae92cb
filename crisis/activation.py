"""Activating a scenario: the crisis goes live with its prepared instructions in one step.

What follows activation (site build, channel greetings, watch keywords) is not called from
here: the edge packages subscribe to the `crisis.activated` event.
"""

from __future__ import annotations

from crisis.crises import Crises
from crisis.publications import Publications
from crisis.scenarios import get_scenario
from crisis.types import Crisis, Principal


async def activate_scenario(
    crises: Crises, publications: Publications, scenario_id: str, *,
    areas: str | list[str], level: int, actor: Principal, title: str = "", reason: str = "",
) -> Crisis:
    """Create a crisis from `scenario_id`, publish its instructions, then activate it.

    Instructions are published first so that the site built on `crisis.activated` already
    shows them; if publishing fails the crisis stays `prepared` and can be retried or closed.
    """
    scenario = get_scenario(scenario_id)
    crisis = await crises.create(scenario.id, areas=areas, level=level, actor=actor, title=title)
    await publications.publish_instructions(crisis, scenario, actor=actor)
    return await crises.activate(crisis.id, actor=actor, reason=reason or "activation")
