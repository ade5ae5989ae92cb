-- A conversation's transition from the status the caller read (channels/store.py,
-- ConversationStore.transition_from), in one round trip: written only while the conversation
-- is still in that status; else nothing is written and the caller takes the watched
-- transaction's way (which reads it again and says why a move is refused).
-- KEYS: 1 the conversation hash, 2 conversations, 3 status:<read>, 4 status:<new>,
--   5 its transitions, 6 the events stream.
-- ARGV: 1 the status read, 2 the conversation id, 3 now (epoch s), 4 the transition line,
--   5 the event, 6 stream length, then the fields to set (name, value pairs).
-- Returns 1 when written, 0 when the conversation is in another status (or gone).
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[4])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', 'event', ARGV[5])
return 1
