"""Only ConversationStore (channels/store.py) writes a conversation's keys.

A write behind the store's back skips what the store keeps true (a transition's event, the
status listings, the outbound index) and scatters the record's layout across the code. The
check reads the source: a Redis write command (or a script call) given a key built by a
conversation key builder (`ChannelKeys.conversation`, `.messages`, ...), directly or through
a local variable, is a write; a Lua script that builds a conversation key (`{c:`) writes too.
The router's scripts are the one exception: they set `operator` and `cost` on the
conversation in the same step as the operator's load (the capacity rule).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")
OWNER = "channels/store.py"
# Lua that builds conversation keys, by design: see the module docstring.
LUA_ALLOWED = {OWNER, "channels/router.py"}
BUILDERS = frozenset({"conversation", "messages", "transitions", "outbound_index",
                      "wait_update", "conversation_keys"})
WRITES = frozenset({
    "hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat", "set", "setex", "setnx",
    "psetex", "getset", "getdel", "getex", "delete", "unlink", "expire", "pexpire", "expireat",
    "pexpireat", "persist", "rename", "renamenx", "copy", "restore", "rpush", "lpush",
    "rpushx", "lpushx", "lset", "lrem", "ltrim", "linsert", "lpop", "rpop", "lmove", "incr",
    "incrby", "decr", "decrby", "append", "sadd", "srem", "zadd", "zrem", "json_set",
})


def _is_keys(node: ast.expr) -> bool:
    """A ChannelKeys value as the code spells it: `k`, `keys`, `self.k`, `store.k`,
    `ChannelKeys(...)`."""
    if isinstance(node, ast.Name):
        return node.id in ("k", "keys") or node.id.endswith("_keys")
    if isinstance(node, ast.Attribute):
        return node.attr in ("k", "keys") or node.attr.endswith("_keys")
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id.endswith("Keys")
    return False


def _builds_key(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and sub.func.attr in BUILDERS and _is_keys(sub.func.value):
            return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def _reads_with_key(node: ast.expr) -> bool:
    """A call that is not itself a key builder (its result is a value, not a key)."""
    return isinstance(node, ast.Call) and not (
        isinstance(node.func, ast.Attribute) and node.func.attr in BUILDERS)


def writes_in(source: str, path: str) -> list[str]:
    """Where `source` writes a conversation's keys: "path:line what"."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for scope in [tree, *(n for n in ast.walk(tree)
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        tainted: set[str] = set()
        for node in ast.walk(scope):  # `key = keys.conversation(...)`, not a value read with it
            if isinstance(node, ast.Assign) and isinstance(node.value, (
                    ast.Call, ast.BinOp, ast.List, ast.Tuple, ast.JoinedStr)) \
                    and not _reads_with_key(node.value) and _builds_key(node.value, set()):
                tainted |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            arguments = [*node.args, *(k.value for k in node.keywords)]
            script = any(k.arg == "keys" for k in node.keywords)
            if (node.func.attr in WRITES or script) \
                    and any(_builds_key(a, tainted) for a in arguments):
                found.append((node.lineno, node.func.attr))
    if path not in LUA_ALLOWED:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "{c:" in node.value and "redis.call" in node.value:
                found.append((node.lineno, "Lua"))
    return [f"{path}:{line} {what}" for line, what in sorted(set(found))]


def test_no_module_but_the_store_writes_a_conversation() -> None:
    offenders = []
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            path = str(file.relative_to(ROOT))
            if path != OWNER:
                offenders += writes_in(file.read_text(encoding="utf-8"), path)
    assert not offenders, f"write through ConversationStore instead: {offenders}"


def test_the_check_finds_writes_behind_the_stores_back() -> None:
    """The check itself: the shapes the code used before the store owned every write."""
    source = '''
async def tend(self, conversation_id, tags):
    await self.ctx.redis.hset(self.k.conversation(conversation_id), "tags", tags)

async def guess(self, conversation, topic):
    return await self.ctx.redis.hsetnx(desk.k.conversation(conversation.id), "topic", topic)

async def turn(self, conversation_id, seq):
    key = self.k.conversation(conversation_id)
    await self._mark_done(keys=[key], args=[seq])

async def purge(redis, keys, conversation_id):
    async with redis.pipeline() as pipe:
        pipe.delete(*keys.conversation_keys(conversation_id))

async def read(redis, keys, conversation_id, store):
    citizen = await redis.hget(keys.conversation(conversation_id), "citizen")  # a read: fine
    await redis.delete(keys.citizen(citizen))  # not a conversation key: fine
    await store.messages(conversation_id)  # the store's own method: fine

LUA = "redis.call('HSET', root .. '{c:' .. id .. '}', 'x', 1)"
'''
    assert [w.split(" ", 1)[1] for w in writes_in(source, "example.py")] == \
        ["hset", "hsetnx", "_mark_done", "delete", "Lua"]
