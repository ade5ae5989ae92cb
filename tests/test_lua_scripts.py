"""The Lua scripts: in .lua files beside their module, valid for the real Redis, given every
key they touch in KEYS, and held by the objects that run them.

Redis Cluster routes a script by its KEYS and refuses keys a script names itself; a key
assembled inside Lua from a prefix also duplicates the layout that the key builders own. The
static checks here read the sources; `test_every_key_a_script_touches_was_given_in_keys`
runs each script for real and compares what Redis saw it touch (MONITOR) with its KEYS.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import re
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from channels.alerts.broadcasts import Broadcasts
from channels.alerts.pulses import Pulses
from channels.alerts.sending import BroadcastSender
from channels.alerts.subscriptions import Subscriptions
from channels.inbound_order import InboundTurns
from channels.keys import ChannelKeys
from channels.pacing import Pacer
from channels.router import Router
from channels.second_look_requests import SecondLookRequests
from channels.service_levels import ServiceLevels
from channels.store import ConversationStore
from channels.voice.calls import Calls
from crisis.context import Context
from crisis.lifecycle import ConversationAction
from crisis.lua_scripts import lua_source
from crisis.ports import Pace
from crisis.publication_file import parse_publication
from crisis.rate_limits import WindowLimit
from crisis.types import ChannelKind, InboundMessage, OperatorStatus, utcnow
from knowledge_base.alternates import propose_alternate
from knowledge_base.article import parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.learning import record_unanswered
from knowledge_base.retention import purge_citizen_text
from knowledge_base.store import ArticleStore
from monitoring.keys import WatchKeys
from monitoring.normalise import NormalisedSignal
from monitoring.term_store import TermTally
from tests.conftest import ADMIN, OPERATOR

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")
# Run only before another script: the router's shared prelude (channels/router.py), the
# fixed-window counter's (crisis/window_hit.lua).
PRELUDES = {"channels/router_lib.lua", "crisis/window_hit.lua"}
# Scripts that start with a prelude, named as lua_source takes them.
AFTER_PRELUDE = {"rate_limits_hit.lua": "window_hit.lua",
                 "store_receive.lua": "crisis:window_hit.lua"}
# Run after another script that also runs alone (its first writes, in the same call).
RUN_AFTER = {"inbound_finish.lua": "inbound_order_mark_done.lua"}
SCRIPT_MAKERS = {"register_script", "register_lua", "lua_source", "PipelinedScript"}


def _lua_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.lua"))


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _runnable_sources() -> dict[str, str]:
    """Each script as Redis runs it: router_*.lua after router_lib.lua, those of RUN_AFTER
    after theirs."""
    sources = {}
    for path in _lua_files():
        relative = _relative(path)
        if relative in PRELUDES:
            continue
        package = ".".join(path.parent.relative_to(ROOT).parts)  # channels.voice...
        name = path.name
        parts = ("router_lib.lua", name) if name.startswith("router_") else \
            (RUN_AFTER[name], name) if name in RUN_AFTER else \
            (AFTER_PRELUDE[name], name) if name in AFTER_PRELUDE else (name,)
        sources[relative] = lua_source(package, *parts)
    return sources


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _key_arguments(code: str) -> Iterator[str]:
    """The key argument of each redis.call on a line: after the command, up to the next
    comma or closing parenthesis at its own depth."""
    for match in re.finditer(r"redis\.call\(\s*'\w+'\s*,", code):
        depth, end = 0, match.end()
        while end < len(code) and not (depth == 0 and code[end] in ",)"):
            depth += {"(": 1, ")": -1}.get(code[end], 0)
            end += 1
        yield code[match.end():end]


def key_building(source: str) -> list[str]:
    """Lines of a Lua script that assemble a key name (a heuristic, for the test below):
    a `redis.call` whose key argument is an expression with `..` or reads ARGV, and any `..`
    that joins KEYS[n], ARGV[n] or a local set from them to something else."""
    derived: set[str] = set()
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("--", 1)[0]
        assignment = re.match(r"\s*(?:local\s+)?([\w\s,]+?)\s*=\s*([^=].*)$", code)
        if assignment:
            names = [n.strip() for n in assignment.group(1).split(",")]
            values = [v.strip() for v in assignment.group(2).split(",")]
            derived.update(n for n, v in zip(names, values) if "ARGV" in v or "KEYS" in v)
        if any(".." in key or "ARGV" in key for key in _key_arguments(code)):
            found.append(f"{number}: {line.strip()}")
        operand = r"(?:KEYS\[[^\]]+\]|ARGV\[[^\]]+\]" + "".join(
            rf"|\b{re.escape(n)}\b" for n in derived) + ")"
        if re.search(rf"{operand}\s*\.\.|\.\.\s*{operand}", code):
            found.append(f"{number}: {line.strip()}")
    return found


def test_the_key_building_check_finds_the_old_way() -> None:
    """What the scripts did before (a prefix in ARGV), so the check below can fail."""
    old = ("local root = ARGV[1]\n"
           "local id = redis.call('GET', KEYS[2])\n"
           "redis.call('HSET', root .. '{c:' .. id .. '}', 'a', 1)\n"
           "redis.call('SADD', KEYS[3] .. ':convs', id)\n"
           "local function op_key(op) return root .. 'op:' .. op end\n"
           "local k = KEYS[1]\n"
           "redis.call('SET', string.sub(k, 1, 5) .. 'x', 1)\n")
    assert {line.split(":")[0] for line in key_building(old)} == {"3", "4", "5", "7"}
    assert key_building("local conv = KEYS[7]\nredis.call('HSET', conv, 'operator', ARGV[2])\n"
                        "return 'ok:' .. redis.call('HGET', conv, 'operator')\n") == []


def test_no_script_builds_a_key_name() -> None:
    offenders = {_relative(p): found for p in _lua_files()
                 if (found := key_building(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_no_python_module_holds_lua() -> None:
    offenders = [_relative(p) for p in _python_files()
                 if "redis.call(" in p.read_text(encoding="utf-8")]
    assert offenders == []


def _module_level_calls(tree: ast.Module) -> Iterator[ast.Call]:
    """Calls run when the module is imported or a class is defined (not inside functions)."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_scripts_are_held_by_instances_not_module_globals() -> None:
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{_relative(path)}:{call.lineno}" for call in _module_level_calls(tree)
                      if _called_name(call) in SCRIPT_MAKERS]
        # A function that keeps a script in a global (the old lazy `global _script`).
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    isinstance(n, ast.Global) for n in ast.walk(function)) and any(
                    isinstance(n, ast.Call) and _called_name(n) in SCRIPT_MAKERS
                    for n in ast.walk(function)):
                offenders.append(f"{_relative(path)}:{function.lineno} {function.name}")
    assert offenders == []


def test_every_script_file_is_used_and_documented() -> None:
    python = {_relative(p): p.read_text(encoding="utf-8") for p in _python_files()}
    docs = (ROOT / "docs" / "redis-keys.md").read_text(encoding="utf-8")
    for path in _lua_files():
        package = path.parent
        users = [name for name, text in python.items()
                 if Path(name).parent == package.relative_to(ROOT) and f'"{path.name}"' in text]
        assert users, f"{_relative(path)} is loaded by no module of its package"
        assert f"{path.name}`" in docs, f"{path.name} is not in docs/redis-keys.md"


def test_the_wheel_ships_the_scripts() -> None:
    """An installed (not editable) package reads its .lua files as package data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.lua" in config["tool"]["setuptools"]["package-data"]["*"]


def test_every_script_compiles_on_the_real_redis(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        for path in _lua_files():  # each file alone: a syntax error names its file
            source = path.read_text(encoding="utf-8")
            assert client.script_load(source) == hashlib.sha1(source.encode()).hexdigest()
        for source in _runnable_sources().values():  # and as run, after a prelude
            client.script_load(source)
        with pytest.raises(redis.ResponseError, match="Error compiling script"):
            client.script_load("local x = = 1")  # the check can fail
    finally:
        client.close()


class ScriptWatch:
    """What Redis saw each script do, read from MONITOR (scripts' commands are logged as
    client `lua`, right after the EVAL/EVALSHA that ran them)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.stop_word = f"stop-watch-{id(self)}"
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        with redis.Redis.from_url(self.url).monitor() as monitor:
            self.ready.set()
            while True:
                line = monitor.connection.read_response()
                text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
                if self.stop_word in text:
                    return
                self.lines.append(text)

    def __enter__(self) -> ScriptWatch:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        client = redis.Redis.from_url(self.url)
        client.echo(self.stop_word)
        client.close()
        self.thread.join(10)

    def runs(self, prefix: str) -> list[tuple[str, list[str], list[str]]]:
        """(sha, declared keys, keys touched) of each script run on `prefix`'s keys."""
        runs: list[tuple[str, list[str], list[str]]] = []
        for line in self.lines:
            match = re.match(r"^\S+ \[\d+ ([^\]]*)\] (.*)$", line)
            if not match:
                continue
            args = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(2))
            if match.group(1) == "lua":
                if runs and len(args) > 1:
                    runs[-1][2].append(args[1])  # every command our scripts use: key first
            elif args and args[0].upper() in ("EVAL", "EVALSHA"):
                declared = args[3:3 + int(args[2])]
                runs.append((args[1], declared, []))
        return [run for run in runs if any(k.startswith(prefix) for k in run[1] + run[2])]


async def _run_every_script(ctx: Context) -> None:
    """Each script of the centre at least once, through the objects that hold them."""
    keys = ChannelKeys(ctx.keys)
    store = ConversationStore(ctx.redis, keys, ctx.bus, b"secret")

    def sms(sid: str, text: str = "bonjour") -> InboundMessage:
        return InboundMessage(channel=ChannelKind.SMS, address="+33612345678", text=text,
                              provider_id=sid, received_at=utcnow())
    first = await store.receive(sms("SM1"))
    assert first is not None and first.created
    assert await store.receive(sms("SM1")) is None  # the provider's retry
    again = await store.receive(sms("SM2"))
    assert again is not None and again.conversation_id == first.conversation_id
    other_process = ConversationStore(ctx.redis, keys, ctx.bus, b"secret")  # knows no hint
    elsewhere = await other_process.receive(sms("SM3"))
    assert elsewhere is not None and elsewhere.conversation_id == first.conversation_id
    await ctx.redis.hset(keys.conversation(first.conversation_id), "status", "closed")
    reopened = await store.receive(sms("SM4"))  # its hint names the closed conversation
    assert reopened is not None and reopened.created
    conversation = reopened.conversation_id
    await store.add_outbound(conversation, "réponse", "operator")
    answered = await store.receive(InboundMessage(
        channel=ChannelKind.SMS, address="+33698765432", text="eau potable ?", provider_id="SM9",
        received_at=utcnow()))
    assert answered is not None
    held = await store.get(answered.conversation_id)
    await store.transition_from(held, ConversationAction.AUTO_ANSWER, actor="knowledge-base")
    _, asked, handled = await store.inbound_view(held.id, None)
    assert asked is not None and not handled
    assert (await store.inbound_view(held.id, asked.id))[2] is False
    await store.finish_inbound(held.id, asked.id, 1, ServiceLevels(ctx.redis, keys).contact_counts(
        ChannelKind.SMS))
    assert (await store.inbound_view(held.id, asked.id))[2] is True
    async with InboundTurns(store).turn(conversation, 1):
        pass

    assert await SecondLookRequests(ctx.redis, keys).ask(held.id, asked.id, 1)

    router = Router(ctx.redis, keys)
    for name in ("alice", "bob"):
        await router.set_operator(name, OperatorStatus.AVAILABLE)
    assert await router.enqueue(conversation, "fr|sms||1")
    [(_, holder)] = await router.assign()
    other = "bob" if holder == "alice" else "alice"
    assert await router.move(conversation, other) == holder
    await router.release(conversation, other)

    calls = Calls(ctx.redis, keys)
    assert await calls.start("CA1", caller="+33612345678", citizen="zc", lang="fr")
    assert not await calls.start("CA1", caller="+33612345678", citizen="zc", lang="fr")
    await calls.update("CA1", conversation=conversation)
    await calls.say_later("CA1", {"id": "m1", "text": "un conseiller arrive"})
    assert await router.enqueue(conversation, "fr|voice||1")
    waited = await calls.wait_round("CA1", "QU1")
    assert (waited.number, waited.position, len(waited.said)) == (1, 1, 1)

    await Subscriptions(ctx.redis, keys, ctx.secret).subscribe("sms", "+33612345678", ("75",),
                                                               source="test")
    broadcasts = Broadcasts(ctx.redis, keys)
    publication = await ctx.publications.publish_document(parse_publication(
        "---\ntitle: Alerte\narea: [75]\n---\nRestez chez vous.\n"), actor=ADMIN)
    broadcast_id, _ = await broadcasts.create(publication, "https://x.example", ("sms",))
    await broadcasts.snapshot(broadcast_id)
    sender = BroadcastSender(ctx.redis, keys, ctx.secret, {})
    assert await sender.take_lease(broadcast_id, "sms", "t1")
    assert not await sender.take_lease(broadcast_id, "sms", "t2")
    assert await sender._claim(keys=[keys.broadcast_to(broadcast_id, "sms"),
                                     keys.broadcast_claimed(broadcast_id, "sms")],
                               args=[10, "c:t1"])
    pulses = Pulses(ctx.redis, keys)
    assert await pulses.record_answer("p1", "sms", "zc", 1) == 1
    assert await pulses.record_answer("p1", "sms", "zc", 2) == 2

    await Pacer(ctx.redis, keys).wait([Pace("sms:+33700000000", 1000)], spread=True)

    tally = TermTally()
    tally.add([NormalisedSignal(id="s1", source="rss", time=utcnow(), lang="fr",
                                text="le barrage va céder", terms=("barrag", "ced"))])
    await tally.flush(ctx.redis, WatchKeys(ctx.keys))

    limit = WindowLimit(ctx.redis, 1, 60)
    assert (await limit.hit(keys.limit("sms", "citizen"))).allowed
    assert not (await limit.check(keys.limit("sms", "citizen"))).allowed

    articles = ArticleStore(ctx.redis, ctx.keys, ctx.bus)
    line = ('{"id": "eau", "question": "Peut-on boire l\'eau du robinet ?", '
            '"answer": "Oui, sauf avis contraire de la mairie."}')
    await import_articles(articles, parse_article_lines([line]), actor=ADMIN)
    await record_unanswered(articles, "ma cave est inondée", lang="fr", channel="sms")
    for _ in range(2):  # the second is a repeat, counted by the script
        await propose_alternate(articles, "eau", "l'eau du robinet se boit ?", actor=OPERATOR,
                                source="operator-answer")
    purged = await purge_citizen_text(ctx.redis, ctx.keys, utcnow() + dt.timedelta(days=1))
    assert purged.unanswered == 1 and purged.learnt_phrasings == 1


async def test_every_key_a_script_touches_was_given_in_keys(ctx: Context, redis_url: str,
                                                           prefix: str) -> None:
    with ScriptWatch(redis_url) as watch:
        await _run_every_script(ctx)
    runs = watch.runs(prefix)
    undeclared = {(sha[:8], key) for sha, declared, touched in runs
                  for key in touched if key not in declared}
    assert undeclared == set()
    expected = {name: hashlib.sha1(source.encode()).hexdigest()
                for name, source in _runnable_sources().items()}
    ran = {sha for sha, _, touched in runs if touched}
    assert {name for name, sha in expected.items() if sha not in ran} == set(), \
        "scripts this test did not run: add them to _run_every_script"
