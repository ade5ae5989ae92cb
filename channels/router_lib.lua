-- The router's shared prelude (channels/router.py puts it before each router_*.lua script):
-- the fixed keys and the capacity rule. Every change to the queue or to an operator's load is
-- one of these scripts, so it is atomic across any number of processes.
-- Every script gets KEYS[1..6] = queue, queue skills, queue since, available operators,
-- offers, all operators, then its own keys (operators' and conversations' keys, built by
-- channels/keys.py: a script never assembles a key name); ARGV[1] = now.
local now = tonumber(ARGV[1])
local QUEUE, SKILLS, SINCE, AVAILABLE, OFFERS, ALL = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
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
-- An operator below is a table {hash = its ch:op:NAME key, convs = its ch:op:NAME:convs key}.
local function room(operator, need_cost)
  local s = redis.call('HMGET', operator.hash, 'status', 'capacity', 'load')
  local capacity = tonumber(s[2]) or 0
  local need = need_of(need_cost, capacity)
  return s[1] == 'available' and (tonumber(s[3]) or 0) + need <= capacity, need, s[1]
end
local function give(name, operator, conv, conv_hash, need, deadline)
  redis.call('HINCRBY', operator.hash, 'load', need)
  redis.call('SADD', operator.convs, conv)
  redis.call('HSET', conv_hash, 'operator', name, 'cost', need)
  redis.call('ZADD', OFFERS, deadline, conv)
end
-- Frees what `operator` holds for `conv`; nothing when someone else holds it now.
local function take_back(operator, conv, conv_hash)
  if redis.call('SREM', operator.convs, conv) == 0 then return false end
  local cost = tonumber(redis.call('HGET', conv_hash, 'cost')) or 1
  if redis.call('HINCRBY', operator.hash, 'load', -cost) < 0 then redis.call('HSET', operator.hash, 'load', 0) end
  redis.call('HDEL', conv_hash, 'operator')
  redis.call('ZREM', OFFERS, conv)
  return true
end
local function unqueue(conv)
  redis.call('ZREM', QUEUE, conv)
  redis.call('HDEL', SKILLS, conv)
  redis.call('HDEL', SINCE, conv)
end
