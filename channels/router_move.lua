-- Give a conversation, queued or held, to a chosen operator (after router_lib.lua).
-- KEYS[7]: the conversation's hash; KEYS[8], KEYS[9]: the target's hash and conversations;
-- KEYS[10], KEYS[11]: those of the operator the caller read as holding it (ARGV[5]), absent
-- when it read none.
-- ARGV: now, conversation, target, offer deadline, holder read by the caller ('' = queued).
-- Returns 'ok:' .. previous holder, 'same', 'gone' (left the queue), 'unavailable', 'full',
-- or 'stale' when the holder changed since the caller read it: nothing is written, and the
-- caller reads it again (a script may touch only the keys it was given).
local conv, conv_hash = ARGV[2], KEYS[7]
local target = {hash = KEYS[8], convs = KEYS[9]}
local old = redis.call('HGET', conv_hash, 'operator') or ''
if old == ARGV[3] then return 'same' end
if old ~= ARGV[5] then return 'stale' end
local cost
if old ~= '' then
  cost = redis.call('HGET', conv_hash, 'cost') or '1'
else
  if not redis.call('ZSCORE', QUEUE, conv) then return 'gone' end
  local _, _, _, skill_cost = skill_parts(redis.call('HGET', SKILLS, conv))
  cost = skill_cost
end
local fits, need, status = room(target, cost)
if status ~= 'available' then return 'unavailable' end
if not fits then return 'full' end
if old ~= '' then take_back({hash = KEYS[10], convs = KEYS[11]}, conv, conv_hash) else unqueue(conv) end
give(ARGV[3], target, conv, conv_hash, need, ARGV[4])
return 'ok:' .. old
