-- Compare-and-delete of hash fields (knowledge_base/retention.py): a field is deleted only
-- if it still holds the value the purge read, so a question asked again meanwhile stays.
-- KEYS[1]: the hash (kb:unanswered); ARGV: (field, value read) pairs. Returns the count.
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i]); n = n + 1
  end
end
return n
