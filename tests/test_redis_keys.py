"""Every Redis key comes from a builder, and the builders and docs/redis-keys.md agree.

Each builder is called with a placeholder for each argument; its key (after the prefix, the
placeholders shown as `*`) must be a row of docs/redis-keys.md, and every row there must be
some builder's key. Key names are also never assembled outside the modules that hold the
builders (`scoped(` and the raw prefix stay there).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

from channels.keys import ChannelKeys
from crisis.keys import Keys
from knowledge_base.keys import KbKeys
from monitoring.keys import WatchKeys
from monitoring.watch_keywords import keywords_key
from static_site.records import builds_key, pending_key, targets_key

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "P:"
HOLE = "\u2042"  # an argument's placeholder, never in a real key
# Not keys: helpers of the builder classes, the chat relay's subscription pattern, and the
# list of a conversation's own keys (each built by a builder checked here).
NOT_KEYS = {"scoped", "rq_queue_prefix", "prefix", "keys", "chat_pattern",
            "conversation_keys"}
BUILDER_MODULES = {"crisis/keys.py", "channels/keys.py", "knowledge_base/keys.py",
                   "static_site/records.py", "monitoring/watch_keywords.py",
                   "monitoring/keys.py"}


def _call(builder: Callable[..., str]) -> str:
    arguments = [HOLE for _ in inspect.signature(builder).parameters]
    return builder(*arguments)


def _builder_keys() -> Iterator[tuple[str, str]]:
    keys = Keys(PREFIX)
    for obj in (keys, ChannelKeys(keys), KbKeys(keys), WatchKeys(keys)):
        for name, member in inspect.getmembers(type(obj)):
            if name.startswith("_") or name in NOT_KEYS:
                continue
            if isinstance(member, property):
                yield f"{type(obj).__name__}.{name}", getattr(obj, name)
            elif inspect.isfunction(member):
                yield f"{type(obj).__name__}.{name}", _call(getattr(obj, name))
    for function in (builds_key, targets_key, pending_key):
        yield function.__name__, function(keys)
    yield keywords_key.__name__, keywords_key(SimpleNamespace(keys=keys))  # type: ignore[arg-type]


def _shape(key: str) -> str:
    """A key with its variable parts as `*`: {c:ID} stays a hash tag, {name} becomes *."""
    key = key.replace(HOLE, "*")
    key = re.sub(r"\{c:[^}]*\}", "{c:*}", key)
    return re.sub(r"\{[^}:]*\}", "*", key)


def _documented() -> set[str]:
    rows = set()
    text = (ROOT / "docs" / "redis-keys.md").read_text(encoding="utf-8")
    for line in text.split("\n## Lua scripts", 1)[0].splitlines():  # the key tables
        cell = line.split("|")[1].strip() if line.startswith("|") else ""
        if cell and not cell.startswith(("key", "-")) and "..." not in cell:
            rows.add(_shape(cell))
    return rows


def _matcher(shape: str) -> re.Pattern[str]:
    """A builder's shape as a pattern: each `*` is one key segment, so the builder
    `kb:answers:{source}` covers the documented rows kb:answers:auto and kb:answers:operator."""
    return re.compile("^" + re.escape(shape).replace(r"\*", "[^:]+") + "$")


def test_every_builder_is_documented_and_every_row_has_a_builder() -> None:
    built: dict[str, re.Pattern[str]] = {}
    for name, key in _builder_keys():
        assert key.startswith(PREFIX), (name, key)
        built[name] = _matcher(_shape(key[len(PREFIX):]))
    documented = _documented()
    undocumented = [name for name, pattern in built.items()
                    if not any(pattern.match(row) for row in documented)]
    assert not undocumented, "builders whose keys docs/redis-keys.md does not list"
    unbuilt = [row for row in documented if not any(p.match(row) for p in built.values())]
    assert not unbuilt, "rows of docs/redis-keys.md that no builder makes"


def test_key_names_are_assembled_only_by_the_builders() -> None:
    offenders = []
    for package in ("crisis", "channels", "knowledge_base", "static_site", "monitoring"):
        for path in (ROOT / package).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if relative in BUILDER_MODULES:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\.scoped\(|keys\.prefix\}|\.root \+|\{self\.k\.root\}"
                             r"|(k|keys)\.\w+\([^)]*\) \+ \":", line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders
