"""Moving a conversation to a named operator: a transfer by its operator, or a supervisor's
reassignment (from another operator or straight from the queue).

One Lua script checks the target's room and moves the load, so a transfer never puts an
operator over capacity, even while the router assigns in another process. The target gets
the conversation as an offer: not opened within the router's offer timeout, it is requeued.
"""

from __future__ import annotations

import time

from channels.desk import Desk
from channels.router import OFFER_TIMEOUT_S
from crisis.errors import InvalidInput, InvalidTransition
from crisis.events import make_event
from crisis.lifecycle import ConversationAction
from crisis.types import ConversationStatus

MOVE_LUA = """
-- KEYS: target op, target convs, conversation, offers, queue, queue skills
-- ARGV: root, conversation id, target name, offer deadline
local s = redis.call('HMGET', KEYS[1], 'status', 'capacity', 'load')
if s[1] ~= 'available' then return 'unavailable' end
local capacity = tonumber(s[2]) or 0
local load = tonumber(s[3]) or 0
local old = redis.call('HGET', KEYS[3], 'operator')
if old == ARGV[3] then return 'same' end
local need
if old and old ~= '' then
  need = tonumber(redis.call('HGET', KEYS[3], 'cost')) or 1
else
  local skill = redis.call('HGET', KEYS[6], ARGV[2]) or '|||1'
  need = tonumber(string.match(skill, '[^|]*|[^|]*|[^|]*|([^|]*)')) or 1
  if need == 0 then need = capacity end
end
if load + need > capacity then return 'full' end
if old and old ~= '' then
  local okey = ARGV[1] .. 'op:' .. old
  if redis.call('SREM', okey .. ':convs', ARGV[2]) == 1 then
    if redis.call('HINCRBY', okey, 'load', -need) < 0 then redis.call('HSET', okey, 'load', 0) end
  end
else
  if redis.call('ZREM', KEYS[5], ARGV[2]) == 0 then return 'gone' end
  redis.call('HDEL', KEYS[6], ARGV[2])
  old = ''
end
redis.call('HINCRBY', KEYS[1], 'load', need)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], 'operator', ARGV[3], 'cost', need)
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
return 'ok:' .. old
"""

MOVABLE = frozenset({ConversationStatus.QUEUED, ConversationStatus.ASSIGNED,
                     ConversationStatus.WAITING_CITIZEN})


async def move_to_operator(desk: Desk, conversation_id: str, target: str, actor: str) -> None:
    """Give the conversation to `target` (who must be available with room).

    InvalidInput when the target is unavailable, full or already has it; InvalidTransition
    when the conversation is not open.
    """
    conversation = await desk.store.get(conversation_id)
    if conversation.status not in MOVABLE:
        raise InvalidTransition(f"a conversation that is {conversation.status.value} "
                                "cannot be transferred")
    k = desk.k
    script = desk.ctx.redis.register_script(MOVE_LUA)
    result = str(await script(
        keys=[k.operator(target), k.operator_conversations(target), k.conversation(conversation_id),
              k.offers, k.queue, k.queue_skills],
        args=[k.root, conversation_id, target, time.time() + OFFER_TIMEOUT_S]))
    if not result.startswith("ok:"):
        raise InvalidInput({"unavailable": f"{target} is not available",
                            "full": f"{target} has no room left",
                            "same": f"{target} already has this conversation",
                            "gone": "the conversation left the queue meanwhile"}[result])
    previous = result[3:] or None
    if conversation.status is ConversationStatus.QUEUED:
        await desk.store.transition(conversation_id, ConversationAction.ASSIGN, actor=actor,
                                    operator=target)
    await desk.ctx.bus.publish(make_event("conversation.transferred", actor=actor,
                                          subject=conversation_id, to=target,
                                          previous=previous or ""))
    if previous:
        await desk.publish_live("transferred", conversation_id, previous)
    await desk.publish_live("assigned", conversation_id, target)
