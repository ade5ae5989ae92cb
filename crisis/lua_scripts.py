"""Lua scripts shipped as `.lua` files beside the module that runs them.

A script's text is read once per process through importlib.resources (so an installed wheel
finds it), and each owner registers it on its own Redis client when it is built: no script
object lives in a module global. Every key a script touches comes in KEYS, built by a key
builder (`crisis/keys.py`, `channels/keys.py`, `knowledge_base/keys.py`); a script never
assembles a key name. docs/redis-keys.md lists the keys each script touches.
"""

from __future__ import annotations

import functools
from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript


@functools.cache
def lua_source(package: str, *names: str) -> str:
    """The text of `package`'s .lua files `names`, joined in that order (a shared prelude
    first); a name "other_package:file.lua" is another package's file (a prelude shared
    across packages, such as crisis/window_hit.lua). FileNotFoundError names the missing
    file: a packaging mistake, found at start."""
    def text(name: str) -> str:
        owner, _, file = name.rpartition(":")
        return (resources.files(owner or package) / file).read_text(encoding="utf-8")
    return "\n".join(text(name) for name in names)


def register_lua(redis: aioredis.Redis, package: str, *names: str) -> AsyncScript:
    """The script made of `names` (see lua_source), registered on `redis`: call it with
    `keys=` and `args=`; it is loaded into Redis on its first call (EVALSHA, then SCRIPT LOAD
    on NOSCRIPT)."""
    return redis.register_script(lua_source(package, *names))
