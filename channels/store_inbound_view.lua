-- What handling a citizen's message starts from, in one round trip (channels/store.py,
-- ConversationStore.inbound_view): the conversation, its last messages, and whether the
-- inbound pipeline handled the message already.
-- KEYS: 1 the conversation hash, 2 its messages, 3 the message's handled mark (absent when
--   the caller does not ask).
-- ARGV: 1 how many messages from the end.
-- Returns {the hash as name, value pairs, the last messages, 1 or 0 (0 without KEYS[3])}.
local handled = 0
if KEYS[3] then handled = redis.call('EXISTS', KEYS[3]) end
return {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], -tonumber(ARGV[1]), -1),
        handled}
