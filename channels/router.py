"""The router: a skill-based queue and capacity-based assignment to operators.

Assignment is one Lua script, so across any number of web processes a conversation is never
given to two operators and an operator never goes over capacity. Order: urgent conversations
first, then oldest first; among the operators with the skills and the room, the one idle
longest. An offer not accepted within OFFER_TIMEOUT_S goes back to the head of the queue,
and so do the conversations of an operator who logs out or goes offline.
"""

from __future__ import annotations

import dataclasses
import time
from typing import cast

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.types import ChannelKind, OperatorStatus

OFFER_TIMEOUT_S = 30
DEFAULT_CAPACITY = 3
SCAN_LIMIT = 500
URGENT_BOOST = 1e11  # an urgent conversation sorts before any normal one
HEAD_BOOST = 1e12  # a requeued conversation goes before everything

ASSIGN_LUA = """
-- KEYS: queue, skills, available, offers, since ; ARGV: root, now, deadline, scan
local root = ARGV[1]
local function has(list, value)
  if list == false or list == nil or list == '' or value == '' then return true end
  for item in string.gmatch(list, '[^,]+') do if item == value then return true end end
  return false
end
local assigned = {}
local ops = redis.call('ZRANGE', KEYS[3], 0, -1)
if #ops == 0 then return assigned end
local queued = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)
for _, conv in ipairs(queued) do
  local skill = redis.call('HGET', KEYS[2], conv) or '|||1'
  local lang, channel, topic, cost = string.match(skill, '([^|]*)|([^|]*)|([^|]*)|([^|]*)')
  for i, op in ipairs(ops) do
    local key = root .. 'op:' .. op
    local s = redis.call('HMGET', key, 'status', 'capacity', 'load', 'langs', 'channels', 'topics')
    local capacity = tonumber(s[2]) or 0
    local load = tonumber(s[3]) or 0
    local need = tonumber(cost) or 1
    if need == 0 then need = capacity end
    if s[1] == 'available' and load + need <= capacity and has(s[4], lang)
        and has(s[5], channel) and has(s[6], topic) then
      redis.call('ZREM', KEYS[1], conv)
      redis.call('HDEL', KEYS[2], conv)
      redis.call('HDEL', KEYS[5], conv)
      redis.call('HINCRBY', key, 'load', need)
      redis.call('SADD', key .. ':convs', conv)
      redis.call('HSET', root .. '{c:' .. conv .. '}', 'operator', op, 'cost', need)
      redis.call('ZADD', KEYS[3], ARGV[2], op)
      redis.call('ZADD', KEYS[4], ARGV[3], conv)
      assigned[#assigned + 1] = conv
      assigned[#assigned + 1] = op
      table.remove(ops, i)
      ops[#ops + 1] = op
      break
    end
  end
end
return assigned
"""

RELEASE_LUA = """
-- KEYS: operator hash, operator convs, conversation hash, offers ; ARGV: conversation id
if redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  local cost = tonumber(redis.call('HGET', KEYS[3], 'cost')) or 1
  local load = redis.call('HINCRBY', KEYS[1], 'load', -cost)
  if load < 0 then redis.call('HSET', KEYS[1], 'load', 0) end
end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[3], 'operator')
return 1
"""


@dataclasses.dataclass(frozen=True)
class OperatorState:
    name: str
    status: OperatorStatus
    capacity: int
    load: int
    langs: tuple[str, ...]
    channels: tuple[str, ...]
    conversations: tuple[str, ...]


def skill_of(lang: str, channel: ChannelKind, topic: str = "") -> str:
    cost = "0" if channel is ChannelKind.VOICE else "1"  # a call takes the whole operator
    return f"{lang}|{channel.value}|{topic}|{cost}"


class Router:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys
        self._assign = redis.register_script(ASSIGN_LUA)
        self._release = redis.register_script(RELEASE_LUA)

    async def enqueue(self, conversation_id: str, skill: str, *, urgent: bool = False,
                      head: bool = False) -> None:
        score = time.time() - (HEAD_BOOST if head else URGENT_BOOST if urgent else 0)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.k.queue_skills, conversation_id, skill)
            pipe.hsetnx(self.k.queue_since, conversation_id, time.time())
            pipe.zadd(self.k.queue, {conversation_id: score}, nx=True)
            await pipe.execute()

    async def dequeue(self, conversation_id: str) -> None:
        await self.redis.zrem(self.k.queue, conversation_id)
        await self.redis.hdel(self.k.queue_skills, conversation_id)
        await self.redis.hdel(self.k.queue_since, conversation_id)

    async def assign(self) -> list[tuple[str, str]]:
        """Give queued conversations to available operators; returns (conversation, operator)."""
        now = time.time()
        flat = await self._assign(
            keys=[self.k.queue, self.k.queue_skills, self.k.available, self.k.offers,
                  self.k.queue_since],
            args=[self.k.root, now, now + OFFER_TIMEOUT_S, SCAN_LIMIT])
        pairs = [str(x) for x in flat]
        return list(zip(pairs[0::2], pairs[1::2]))

    async def release(self, conversation_id: str, operator: str) -> None:
        """Free the operator's capacity held by a conversation (closed, requeued, moved)."""
        await self._release(keys=[self.k.operator(operator),
                                  self.k.operator_conversations(operator),
                                  self.k.conversation(conversation_id), self.k.offers],
                            args=[conversation_id])

    async def accept(self, conversation_id: str) -> None:
        """The operator opened the offer: it no longer times out."""
        await self.redis.zrem(self.k.offers, conversation_id)

    async def expired_offers(self) -> list[str]:
        return [str(c) for c in await self.redis.zrangebyscore(self.k.offers, "-inf", time.time())]

    async def set_operator(self, name: str, status: OperatorStatus, *,
                           capacity: int = DEFAULT_CAPACITY, langs: tuple[str, ...] = ("fr",),
                           channels: tuple[str, ...] = ()) -> None:
        key = self.k.operator(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": status.value, "capacity": capacity,
                                    "langs": ",".join(langs), "channels": ",".join(channels)})
            pipe.hsetnx(key, "load", 0)
            pipe.sadd(self.k.operators, name)
            if status is OperatorStatus.AVAILABLE:
                pipe.zadd(self.k.available, {name: time.time()}, nx=True)
            else:
                pipe.zrem(self.k.available, name)
            await pipe.execute()

    async def operator(self, name: str) -> OperatorState:
        fields = cast(dict[str, str], await self.redis.hgetall(self.k.operator(name)))
        convs = await self.redis.smembers(self.k.operator_conversations(name))
        return OperatorState(
            name=name, status=OperatorStatus(fields.get("status", "offline")),
            capacity=int(fields.get("capacity", DEFAULT_CAPACITY)),
            load=int(fields.get("load", 0)),
            langs=tuple(filter(None, fields.get("langs", "fr").split(","))),
            channels=tuple(filter(None, fields.get("channels", "").split(","))),
            conversations=tuple(sorted(str(c) for c in convs)))

    async def operators(self) -> list[OperatorState]:
        names = sorted(str(n) for n in await self.redis.smembers(self.k.operators))
        return [await self.operator(n) for n in names]

    async def position(self, conversation_id: str) -> int | None:
        rank = await self.redis.zrank(self.k.queue, conversation_id)
        return None if rank is None else int(cast(int, rank)) + 1

    async def queue_since(self) -> list[float]:
        """When each queued conversation entered the queue (for waits)."""
        return [float(v) for v in await self.redis.hvals(self.k.queue_since)]

    async def queue_length(self) -> int:
        return int(await self.redis.zcard(self.k.queue))
