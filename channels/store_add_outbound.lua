-- An outbound message and its place in the list, together (channels/store.py): set_delivery
-- then finds it in O(1) instead of reading the whole conversation (a long one is hundreds of
-- messages). A message whose id is already indexed is not added again: the inbound pipeline
-- gives its automatic replies ids derived from the citizen's message, so handling that
-- message a second time (an event redelivered after a Redis failover) records nothing twice.
-- KEYS: the conversation's messages, its outbound index; ARGV: message JSON, its id.
-- Returns the list's length, or 0 when the message was there already.
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return 0
end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], n - 1)
return n
