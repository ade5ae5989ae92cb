"""One vocabulary for events: every type is an EventType, produced somewhere, documented, and
every subscription listens to types that some producer writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from crisis.types import EventType
from crisis.web.app_keys import CONTEXT

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")


def _event_type_names(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "EventType"}


def _produced() -> set[str]:
    """EventType members written by a producer: make_event's first argument, or a value of a
    producer table (action -> event type)."""
    produced: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "make_event" \
                        and node.args:
                    produced |= _event_type_names(node.args[0])
                elif isinstance(node, ast.Dict):
                    for value in node.values:
                        produced |= _event_type_names(value)
    return produced


def test_every_event_type_is_produced_somewhere() -> None:
    assert not {e.name for e in EventType} - _produced()


def test_no_event_type_is_spelled_as_a_bare_string() -> None:
    values = {e.value for e in EventType}
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if package == "crisis" and path.name in ("types.py", "state_labels.py"):
                continue  # the vocabulary itself, and its labels keyed by value
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for literal in re.findall(r'"([a-z_]+\.[a-z_]+)"', line):
                    if literal in values:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {literal}")
    assert not offenders


def test_every_event_type_is_documented() -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert not [e.value for e in EventType if f"`{e.value}`" not in docs]


async def test_every_subscription_listens_to_produced_types(client: Any) -> None:
    produced = {EventType[name] for name in _produced()}
    subscriptions = client.app[CONTEXT].subscriptions
    assert subscriptions  # the edges subscribe when the app is built
    for group, subscription in subscriptions.items():
        assert subscription.types is not None, f"{group} reads every event: name its types"
        assert all(isinstance(t, EventType) for t in subscription.types), group
        assert subscription.types <= produced, (group, subscription.types - produced)
