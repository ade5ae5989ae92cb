-- Record a citizen's answer to a pulse question, the last one winning: ARGV[1] is the
-- citizen ("channel:citizen"), ARGV[2] the option number, ARGV[3] the keys' lifetime (s).
-- The answers hash and the counts hash change in one step, so the counts are always one per
-- answering citizen. KEYS: the answers hash, the counts hash.
-- Returns 1 for a first answer, 2 for a changed one, 0 for the same answer again.
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
if old then
  redis.call('HINCRBY', KEYS[2], old, -1)
  return 2
end
return 1
