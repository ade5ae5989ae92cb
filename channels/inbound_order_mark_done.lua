-- Inbound message ARGV[1] of a conversation is handled (channels/inbound_order.py).
-- KEYS[1]: the conversation hash; ARGV[1]: the message's rank, ARGV[2]: the field that holds
-- the last rank handled. The mark only moves forward, and a purged conversation stays gone.
local done = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
if tonumber(ARGV[1]) > done and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
end
