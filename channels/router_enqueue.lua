-- Queue a conversation (after router_lib.lua). KEYS[7]: the conversation's hash.
-- ARGV: now, conversation, skill, score, head (1 = move to the head if already queued).
-- Returns 0 when an operator holds it (release it first), else 1.
local conv, conv_hash = ARGV[2], KEYS[7]
local holder = redis.call('HGET', conv_hash, 'operator')
if holder and holder ~= '' then return 0 end
redis.call('HSET', SKILLS, conv, ARGV[3])
if ARGV[5] == '1' then
  redis.call('ZADD', QUEUE, ARGV[4], conv)
  redis.call('HSET', SINCE, conv, now)  -- a new skill queue: its wait starts again
else
  redis.call('ZADD', QUEUE, 'NX', ARGV[4], conv)
  redis.call('HSETNX', SINCE, conv, now)
end
return 1
