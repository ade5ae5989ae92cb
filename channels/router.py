"""The router: skill queues and capacity-based assignment to operators.

Every change to the queue or to an operator's load is one Lua script (channels/router_*.lua)
on one shared prelude (router_lib.lua: the fixed keys and the capacity rule), so across any
number of web processes a conversation is never given to two operators and an operator never
goes over capacity. Each script is given every key it touches, although `assign` and `move`
learn from data which operators and conversations they touch: `move` reads the holder first,
`assign` sends the keys of those it saw at its last look; a script that meets someone it was
not given writes nothing and says so, and the router calls again with their keys.
Order: urgent conversations first, then oldest first; among the operators with the skills
and the room, the one idle longest. Skills: the conversation's language and channel are
required; its topic is preferred for `skill_wait_s` (see `assign`). An offer not accepted
within OFFER_TIMEOUT_S goes back to the head of the queue, and so do the conversations of
an operator who logs out or goes offline.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable
from typing import cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from channels.keys import ChannelKeys
from channels.pipelined_script import PipelinedScript
from channels.skills import Skills
from crisis.errors import Conflict, InvalidInput
from crisis.lua_scripts import lua_source, register_lua
from crisis.types import ChannelKind, OperatorStatus

log = logging.getLogger(__name__)

OFFER_TIMEOUT_S = 30
DEFAULT_CAPACITY = 3
DEFAULT_SKILL_WAIT_S = 120
DEFAULT_LANG_WAIT_S = 180  # see QueuePolicy.lang_wait_s
SCAN_LIMIT = 500
URGENT_BOOST = 1e11  # an urgent conversation sorts before any normal one
HEAD_BOOST = 1e12  # a requeued conversation goes before everything
MOVE_ATTEMPTS = 3  # the holder read before the script changed: read it again
ASSIGN_ATTEMPTS = 3  # the first look, and twice again if the queue changed in between
SEEN_QUEUE_MAX = 2 * SCAN_LIMIT  # conversation keys sent with an assign, at most

@dataclasses.dataclass(frozen=True)
class OperatorState:
    name: str
    status: OperatorStatus
    capacity: int
    load: int
    langs: tuple[str, ...]
    channels: tuple[str, ...]
    conversations: tuple[str, ...]
    topics: tuple[str, ...] = ()

    @property
    def skills(self) -> Skills:
        return Skills(self.langs, self.topics, self.channels)


def skill_of(lang: str, channel: ChannelKind, topic: str = "") -> str:
    """The queue entry of a conversation: "lang|channel|topic|cost"."""
    cost = "0" if channel is ChannelKind.VOICE else "1"  # a call takes the whole operator
    return f"{lang}|{channel.value}|{topic}|{cost}"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(filter(None, (value or "").split(",")))


class Router:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys
        # KEYS[1..6] of every router script (router_lib.lua).
        self._fixed_keys = [keys.queue, keys.queue_skills, keys.queue_since, keys.available,
                            keys.offers, keys.operators]
        self._scripts = {name: register_lua(redis, "channels", "router_lib.lua", lua)
                         for name, lua in (("enqueue", "router_enqueue.lua"),
                                           ("release", "router_release.lua"),
                                           ("move", "router_move.lua"))}
        # Assign runs after every enqueue with the keys of every operator signed in: on its
        # own pipelined connection.
        self._assign = PipelinedScript(redis, lua_source(
            "channels", "router_lib.lua", "router_assign.lua"))
        # Who was available or signed in (names, then their keys), and the queue's head
        # (conversation -> its key), at the assign script's last look, plus what this router
        # queued since: their keys go with the next assign, which asks for them again only
        # when someone or something new appeared (router_assign.lua).
        self._seen_operators: list[str] = []
        self._seen_operator_keys: list[str] = []
        self._seen_queue: dict[str, str] = {}
        self._someone_available = True  # as far as the last assign saw

    async def _run(self, script: str, keys: list[str], *args: str | float | int,
                   now: float | None = None) -> object:
        """Run router_`script`.lua with the prelude's keys, then `keys`, and now, then `args`."""
        return await self._scripts[script](
            keys=[*self._fixed_keys, *keys], args=[time.time() if now is None else now, *args])

    def _operator_keys(self, name: str) -> list[str]:
        return [self.k.operator(name), self.k.operator_conversations(name)]

    async def enqueue(self, conversation_id: str, skill: str, *, urgent: bool = False,
                      head: bool = False, now: float | None = None) -> bool:
        """Queue the conversation (skill from `skill_of`); with `head`, before everything and
        into that skill's queue even if already queued. False when an operator holds it."""
        at = time.time() if now is None else now
        score = at - (HEAD_BOOST if head else URGENT_BOOST if urgent else 0)
        queued = bool(await self._run("enqueue", [self.k.conversation(conversation_id)],
                                      conversation_id, skill, score, int(head), now=at))
        if queued:
            if len(self._seen_queue) >= SEEN_QUEUE_MAX:  # a long queue: look at its head again
                self._seen_queue.clear()
            self._seen_queue[conversation_id] = self.k.conversation(conversation_id)
        return queued

    def dequeue_in(self, pipe: aioredis.client.Pipeline, conversation_id: str) -> None:
        """Queue the removal of the conversation from the operators' queue on `pipe` (a
        transaction of the caller's: the second look's answer takes it off the queue with the
        transition); no longer offered to this process's next assign."""
        self._seen_queue.pop(conversation_id, None)
        pipe.zrem(self.k.queue, conversation_id)
        pipe.hdel(self.k.queue_skills, conversation_id)
        pipe.hdel(self.k.queue_since, conversation_id)

    async def dequeue(self, conversation_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            self.dequeue_in(pipe, conversation_id)
            await pipe.execute()

    async def assign(self, *, skill_wait_s: int = DEFAULT_SKILL_WAIT_S,
                     lang_wait_s: int = DEFAULT_LANG_WAIT_S, now: float | None = None
                     ) -> list[tuple[str, str]]:
        """Give queued conversations to available operators; returns (conversation, operator).

        A conversation with a topic goes only to an operator with that topic while it has
        waited less than `skill_wait_s` and someone signed in (available or on a break) has
        the topic; after that, or at once when nobody signed in has it, any operator with
        the language and channel may take it (skill expansion). A conversation in a
        language no operator signed in speaks goes to any operator after `lang_wait_s`
        (0: never), instead of waiting forever.
        """
        at = time.time() if now is None else now
        for _ in range(ASSIGN_ATTEMPTS):
            keys = list(self._fixed_keys)
            args: list[str | float] = [at, at + OFFER_TIMEOUT_S, SCAN_LIMIT, skill_wait_s,
                                       lang_wait_s]
            if self._someone_available:  # else the keys would only cost (a surge at night)
                keys += [*self._seen_operator_keys, *self._seen_queue.values()]
                args += [len(self._seen_operators), *self._seen_operators, *self._seen_queue]
            else:
                args.append(0)
            reply = cast(list[object], await self._assign(keys, args))
            self._someone_available = reply[0] != "none"
            if reply[0] == "keys":  # someone or something the script was not given: look again
                available, signed_in, head = (cast(list[str], part) for part in reply[1:4])
                self._seen_operators = list(dict.fromkeys([*available, *sorted(signed_in)]))
                self._seen_operator_keys = [
                    key for name in self._seen_operators for key in self._operator_keys(name)]
                self._seen_queue = {c: self.k.conversation(c) for c in head}
                continue
            pairs = [str(x) for x in reply[1:]]
            for conversation_id in pairs[0::2]:
                self._seen_queue.pop(conversation_id, None)
            return list(zip(pairs[0::2], pairs[1::2]))
        # The queue or the operators changed at every look (other processes busy): the next
        # assign (after the next enqueue, or the sweep's within seconds) gives them out.
        log.info("assignment deferred: the queue kept changing")
        return []

    async def release(self, conversation_id: str, operator: str) -> None:
        """Free the operator's capacity held by a conversation (closed, requeued, moved);
        nothing when another operator holds it now."""
        await self._run("release", [self.k.conversation(conversation_id),
                                    *self._operator_keys(operator)], conversation_id)

    async def move(self, conversation_id: str, target: str) -> str | None:
        """Give the conversation (queued or held) to `target`, skills aside: a person chose.

        Returns the previous operator (None from the queue). InvalidInput when the target is
        not available, has no room, already has it, or the conversation left the queue;
        Conflict when it kept changing hands meanwhile.
        """
        conversation = self.k.conversation(conversation_id)
        for _ in range(MOVE_ATTEMPTS):
            holder = str(await self.redis.hget(conversation, "operator") or "")
            keys = [conversation, *self._operator_keys(target)]
            keys += self._operator_keys(holder) if holder else []
            result = str(await self._run("move", keys, conversation_id, target,
                                         time.time() + OFFER_TIMEOUT_S, holder))
            if result != "stale":
                break
        else:
            raise Conflict("the conversation changed hands meanwhile; try again")
        if not result.startswith("ok:"):
            raise InvalidInput({"unavailable": f"{target} is not available",
                                "full": f"{target} has no room left",
                                "same": f"{target} already has this conversation",
                                "gone": "the conversation left the queue meanwhile"}[result])
        return result[3:] or None

    async def accept(self, conversation_id: str) -> None:
        """The operator opened the offer: it no longer times out."""
        await self.redis.zrem(self.k.offers, conversation_id)

    async def expired_offers(self) -> list[str]:
        return [str(c) for c in await self.redis.zrangebyscore(self.k.offers, "-inf", time.time())]

    async def set_operator(self, name: str, status: OperatorStatus, *,
                           capacity: int | None = None, langs: tuple[str, ...] | None = None,
                           channels: tuple[str, ...] | None = None,
                           topics: tuple[str, ...] | None = None) -> None:
        """Set the status; a value left out (None) keeps what the operator had (defaults for
        a new operator: capacity 3, French, every channel, no topic)."""
        key = self.k.operator(name)
        fields: dict[FieldT, EncodableT] = {"status": status.value}
        for field, value in (("langs", langs), ("channels", channels), ("topics", topics)):
            if value is not None:
                fields[field] = ",".join(value)
        if capacity is not None:
            fields["capacity"] = str(capacity)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            for field, default in (("load", 0), ("capacity", DEFAULT_CAPACITY), ("langs", "fr")):
                pipe.hsetnx(key, field, default)
            pipe.sadd(self.k.operators, name)
            if status is OperatorStatus.AVAILABLE:
                pipe.zadd(self.k.available, {name: time.time()}, nx=True)
            else:
                pipe.zrem(self.k.available, name)
            await pipe.execute()

    async def set_skills(self, name: str, skills: Skills) -> None:
        """Set a known operator's languages, topics and channels (checked); status unchanged."""
        if not await self.redis.sismember(self.k.operators, name):
            raise InvalidInput(f"no operator named {name[:40]!r} has signed in yet")
        await self.preset_skills(name, skills)

    async def preset_skills(self, name: str, skills: Skills) -> None:
        """An operator's skills before they first sign in (an account created with skills);
        signing in keeps them (set_operator leaves out what it is not given)."""
        skills = skills.check()
        await self.redis.hset(self.k.operator(name), mapping={
            "langs": ",".join(skills.langs), "topics": ",".join(skills.topics),
            "channels": ",".join(skills.channels)})

    async def operator(self, name: str) -> OperatorState:
        fields = cast(dict[str, str], await self.redis.hgetall(self.k.operator(name)))
        convs = await self.redis.smembers(self.k.operator_conversations(name))
        return self._state(name, fields, convs)

    @staticmethod
    def _state(name: str, fields: dict[str, str], convs: Iterable[object]) -> OperatorState:
        return OperatorState(
            name=name, status=OperatorStatus(fields.get("status", "offline")),
            capacity=int(fields.get("capacity", DEFAULT_CAPACITY)),
            load=int(fields.get("load", 0)), langs=_split(fields.get("langs", "fr")),
            channels=_split(fields.get("channels")), topics=_split(fields.get("topics")),
            conversations=tuple(sorted(str(c) for c in convs)))

    async def operators(self) -> list[OperatorState]:
        names = sorted(str(n) for n in await self.redis.smembers(self.k.operators))
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip for all
            for name in names:
                pipe.hgetall(self.k.operator(name))
                pipe.smembers(self.k.operator_conversations(name))
            replies = await pipe.execute()
        return [self._state(name, replies[2 * i], replies[2 * i + 1]) for i, name in enumerate(names)]

    async def position(self, conversation_id: str) -> int | None:
        rank = await self.redis.zrank(self.k.queue, conversation_id)
        return None if rank is None else int(cast(int, rank)) + 1

    async def queued_skill(self, conversation_id: str) -> str | None:
        """The skill a queued conversation waits for, None when it is not queued."""
        value = await self.redis.hget(self.k.queue_skills, conversation_id)
        return None if value is None else str(value)

    async def queue_skills(self) -> list[str]:
        return [str(v) for v in await self.redis.hvals(self.k.queue_skills)]

    async def queue_since(self) -> list[float]:
        """When each queued conversation entered the queue (for waits)."""
        return [float(v) for v in await self.redis.hvals(self.k.queue_since)]

    async def queue_length(self) -> int:
        return int(await self.redis.zcard(self.k.queue))

    async def queued(self, limit: int) -> list[str]:
        """The first `limit` conversations of the queue, in the order they will be served."""
        return [str(c) for c in await self.redis.zrange(self.k.queue, 0, limit - 1)]

    async def offered(self, conversation_id: str) -> bool:
        """Whether the conversation is offered to an operator who has not opened it yet."""
        return await self.redis.zscore(self.k.offers, conversation_id) is not None
