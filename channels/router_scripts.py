"""The router's Lua scripts, on one shared prelude (`_LIB`: the key layout and the capacity
rule). Every change to the queue or to an operator's load is one of these scripts, run by
channels/router.py, so it is atomic across any number of processes.
"""

from __future__ import annotations

# Every script gets KEYS = queue, queue skills, queue since, available operators, offers,
# all operators; ARGV[1] = the key root, ARGV[2] = now. Operator and conversation keys are
# derived from the root here, and nowhere else.
_LIB = """
local root, now = ARGV[1], tonumber(ARGV[2])
local QUEUE, SKILLS, SINCE, AVAILABLE, OFFERS, ALL = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function op_key(op) return root .. 'op:' .. op end
local function conv_key(conv) return root .. '{c:' .. conv .. '}' end
local function skill_parts(skill)
  local lang, channel, topic, cost = string.match(skill or '|||1', '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return lang or '', channel or '', topic or '', cost or '1'
end
-- The capacity rule: a conversation costs 1; a call (cost 0) takes the whole capacity.
local function need_of(cost, capacity)
  local need = tonumber(cost) or 1
  if need == 0 then need = capacity end
  return need
end
local function room(op, need_cost)
  local s = redis.call('HMGET', op_key(op), 'status', 'capacity', 'load')
  local capacity = tonumber(s[2]) or 0
  local need = need_of(need_cost, capacity)
  return s[1] == 'available' and (tonumber(s[3]) or 0) + need <= capacity, need, s[1]
end
local function give(op, conv, need, deadline)
  redis.call('HINCRBY', op_key(op), 'load', need)
  redis.call('SADD', op_key(op) .. ':convs', conv)
  redis.call('HSET', conv_key(conv), 'operator', op, 'cost', need)
  redis.call('ZADD', OFFERS, deadline, conv)
end
-- Frees what `op` holds for `conv`; nothing when someone else holds it now.
local function take_back(op, conv)
  local okey = op_key(op)
  if redis.call('SREM', okey .. ':convs', conv) == 0 then return false end
  local cost = tonumber(redis.call('HGET', conv_key(conv), 'cost')) or 1
  if redis.call('HINCRBY', okey, 'load', -cost) < 0 then redis.call('HSET', okey, 'load', 0) end
  redis.call('HDEL', conv_key(conv), 'operator')
  redis.call('ZREM', OFFERS, conv)
  return true
end
local function unqueue(conv)
  redis.call('ZREM', QUEUE, conv)
  redis.call('HDEL', SKILLS, conv)
  redis.call('HDEL', SINCE, conv)
end
"""

ENQUEUE_LUA = _LIB + """
-- ARGV: root, now, conversation, skill, score, head (1 = move to the head if already queued)
local conv = ARGV[3]
local holder = redis.call('HGET', conv_key(conv), 'operator')
if holder and holder ~= '' then return 0 end  -- held by an operator: release it first
redis.call('HSET', SKILLS, conv, ARGV[4])
if ARGV[6] == '1' then
  redis.call('ZADD', QUEUE, ARGV[5], conv)
  redis.call('HSET', SINCE, conv, now)  -- a new skill queue: its wait starts again
else
  redis.call('ZADD', QUEUE, 'NX', ARGV[5], conv)
  redis.call('HSETNX', SINCE, conv, now)
end
return 1
"""

ASSIGN_LUA = _LIB + """
-- ARGV: root, now, offer deadline, scan limit, skill wait (s)
local function has(list, value)  -- an empty list of languages or channels means any
  if list == false or list == nil or list == '' or value == '' then return true end
  for item in string.gmatch(list, '[^,]+') do if item == value then return true end end
  return false
end
local function knows(list, topic)  -- topics are strict: no topics means no preference
  if topic == '' then return true end
  for item in string.gmatch(list or '', '[^,]+') do if item == topic then return true end end
  return false
end
local assigned = {}
local ops = redis.call('ZRANGE', AVAILABLE, 0, -1)
if #ops == 0 then return assigned end
-- A topic is worth waiting for only while someone signed in (available or on a break) has
-- it; read once, and only when a queued conversation has a topic.
local staffed = nil
local function is_staffed(wanted)
  if staffed == nil then
    staffed = {}
    for _, op in ipairs(redis.call('SMEMBERS', ALL)) do
      local s = redis.call('HMGET', op_key(op), 'status', 'topics')
      if s[1] == 'available' or s[1] == 'pause' then
        for topic in string.gmatch(s[2] or '', '[^,]+') do staffed[topic] = true end
      end
    end
  end
  return staffed[wanted] == true
end
local wait = tonumber(ARGV[5]) or 0
for _, conv in ipairs(redis.call('ZRANGE', QUEUE, 0, tonumber(ARGV[4]) - 1)) do
  local lang, channel, topic, cost = skill_parts(redis.call('HGET', SKILLS, conv))
  if topic ~= '' then
    local since = tonumber(redis.call('HGET', SINCE, conv)) or now
    if now - since >= wait or not is_staffed(topic) then topic = '' end  -- skill expansion
  end
  for i, op in ipairs(ops) do
    local skills = redis.call('HMGET', op_key(op), 'langs', 'channels', 'topics')
    if has(skills[1], lang) and has(skills[2], channel) and knows(skills[3], topic) then
      local fits, need = room(op, cost)
      if fits then
        unqueue(conv)
        give(op, conv, need, ARGV[3])
        redis.call('ZADD', AVAILABLE, now, op)
        assigned[#assigned + 1] = conv
        assigned[#assigned + 1] = op
        table.remove(ops, i)
        ops[#ops + 1] = op
        break
      end
    end
  end
end
return assigned
"""

RELEASE_LUA = _LIB + """
-- ARGV: root, now, conversation, operator
take_back(ARGV[4], ARGV[3])
return 1
"""

MOVE_LUA = _LIB + """
-- ARGV: root, now, conversation, target, offer deadline
local conv, target = ARGV[3], ARGV[4]
local old = redis.call('HGET', conv_key(conv), 'operator') or ''
if old == target then return 'same' end
local cost
if old ~= '' then
  cost = redis.call('HGET', conv_key(conv), 'cost') or '1'
else
  if not redis.call('ZSCORE', QUEUE, conv) then return 'gone' end
  local _, _, _, skill_cost = skill_parts(redis.call('HGET', SKILLS, conv))
  cost = skill_cost
end
local fits, need, status = room(target, cost)
if status ~= 'available' then return 'unavailable' end
if not fits then return 'full' end
if old ~= '' then take_back(old, conv) else unqueue(conv) end
give(target, conv, need, ARGV[5])
return 'ok:' .. old
"""
