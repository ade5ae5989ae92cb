"""Scenario templates: the prepared crises shipped as TOML files beside this module."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable

import msgspec

from crisis.errors import ConfigError, NotFound
from crisis.types import Scenario

PACKAGE = __name__


def _folder() -> Traversable:
    return resources.files(PACKAGE)


def parse_scenario(text: str, *, source: str) -> Scenario:
    """Parse and validate one template; a broken file is a ConfigError naming it."""
    try:
        scenario = msgspec.convert(tomllib.loads(text), Scenario)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as err:
        raise ConfigError(f"scenario template {source}: {err}") from err
    if sorted(level.level for level in scenario.levels) != [1, 2, 3]:
        raise ConfigError(f"scenario template {source}: levels must be exactly 1, 2 and 3")
    return scenario


@functools.cache
def load_scenarios() -> dict[str, Scenario]:
    """Every shipped template by id, sorted by id (read once per process)."""
    found: dict[str, Scenario] = {}
    for entry in sorted(_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            scenario = parse_scenario(entry.read_text(encoding="utf-8"), source=entry.name)
            found[scenario.id] = scenario
    return found


def get_scenario(scenario_id: str) -> Scenario:
    """One template, or NotFound listing the known ones."""
    scenarios = load_scenarios()
    try:
        return scenarios[scenario_id]
    except KeyError:
        raise NotFound(
            f"unknown scenario {scenario_id!r}; known: {', '.join(scenarios)}"
        ) from None


def starter_articles_text(scenario_id: str) -> str:
    """The scenario's starter knowledge-base articles (JSON Lines), or '' when it has none."""
    entry = _folder() / f"{scenario_id}.articles.jsonl"
    return entry.read_text(encoding="utf-8") if entry.is_file() else ""
