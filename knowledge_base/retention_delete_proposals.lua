-- Compare-and-delete of pending proposals with their count and index field
-- (knowledge_base/retention.py); the index field only while it still names the proposal.
-- KEYS: alternates, counts, phrasing index; ARGV: (id, raw JSON, phrasing field) triples.
-- Returns the number of proposals deleted.
local n = 0
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i]); redis.call('HDEL', KEYS[2], ARGV[i])
    if redis.call('HGET', KEYS[3], ARGV[i + 2]) == ARGV[i] then
      redis.call('HDEL', KEYS[3], ARGV[i + 2])
    end
    n = n + 1
  end
end
return n
