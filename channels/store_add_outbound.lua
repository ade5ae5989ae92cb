-- An outbound message and its place in the list, together (channels/store.py): set_delivery
-- then finds it in O(1) instead of reading the whole conversation (a long one is hundreds of
-- messages). KEYS: the conversation's messages, its outbound index; ARGV: message JSON, its id.
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], n - 1)
return n
