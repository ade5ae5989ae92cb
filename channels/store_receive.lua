-- One inbound message, stored once (channels/store.py, ConversationStore.receive): drop a
-- provider's retry, find the citizen's open conversation on that channel or open one, append
-- the message and announce it, in one step whichever web process got it.
-- KEYS (all from channels/keys.py and the event bus):
--   1 seen (the provider's message id)  2 address (the continuation window)  3 citizen
--   4 the citizen's conversations  5 the events stream  6 conversations  7 status:new
--   8, 9 hash and messages of the new conversation (ARGV[2])
--   10, 11 hash and messages of the conversation the caller believes this address is in
--   (ARGV[10]); absent when it believes none.
--   last: the sender's limit counter (crisis/rate_limits.py), when ARGV[11] is not 0.
-- ARGV: 1 seen TTL, 2 new id, 3 window, 4 now, 5 message JSON, 6 channel, 7 raw address,
--   8 event template, 9 the most events the stream may hold for a message to be taken (0:
--   taken whatever the backlog), 10 the believed conversation id or '', 11 the sender's
--   limit per window (0: none), 12 its window in seconds, 13 1 when the message is stored
--   even over the limit (STOP, START), 14 the stream's length cap (a last resort: the
--   stream is trimmed to what its groups have read, crisis/events.py), then the new
--   conversation's fields (name, value pairs).
-- Returns {id, created}; {false, 0} for a provider's retry; {false, 0, other id} when the
-- address is in another conversation than ARGV[10]: nothing is written, and the caller calls
-- again with that conversation's keys (a script may touch only the keys it was given);
-- {false, 0, false, count, seconds left} when the sender is over the limit: only the
-- counter is written (the hit counted, as crisis/rate_limits_hit.lua does);
-- {false, 0, false, false, false, backlog} when ARGV[9] events already wait in the stream:
-- nothing is written (the pipeline is that far behind; the provider tries again later).
local id = redis.call('GET', KEYS[2])
if id and id ~= ARGV[10] then return {false, 0, id} end
local most = tonumber(ARGV[9])
if most > 0 then
  local backlog = redis.call('XLEN', KEYS[5])
  if backlog >= most then return {false, 0, false, false, false, backlog} end
end
local limit = tonumber(ARGV[11])
if limit > 0 then
  local counter = KEYS[#KEYS]
  local n = window_hit(counter, ARGV[12])  -- the prelude crisis/window_hit.lua
  if n > limit and ARGV[13] ~= '1' then
    return {false, 0, false, n, redis.call('TTL', counter)}
  end
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {false, 0} end
local conv, messages, created = KEYS[10], KEYS[11], 0
if id then
  local status = redis.call('HGET', conv, 'status')
  if (not status) or status == 'closed' then id = false end
end
if not id then
  id, conv, messages, created = ARGV[2], KEYS[8], KEYS[9], 1
  local fields = {}
  for i = 15, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', conv, unpack(fields))
  redis.call('ZADD', KEYS[6], ARGV[4], id)
  redis.call('ZADD', KEYS[7], ARGV[4], id)
end
redis.call('SET', KEYS[2], id, 'EX', ARGV[3])
redis.call('HSET', KEYS[3], ARGV[6], ARGV[7])
redis.call('SADD', KEYS[4], id)
redis.call('RPUSH', messages, ARGV[5])
redis.call('HSET', conv, 'updated_at', ARGV[4])
-- The message's rank among the conversation's inbound ones: the pipeline handles them in
-- that order whichever events process reads them (channels/inbound_order.py).
local seq = redis.call('HINCRBY', conv, 'inbound_seq', 1)
-- The event that starts the background pipeline, written with the message it announces.
local event = string.gsub(ARGV[8], '@@ID@@', id)
event = string.gsub(event, '"@@NEW@@"', created == 1 and 'true' or 'false')
event = string.gsub(event, '"@@SEQ@@"', tostring(seq))
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[14], '*', 'event', event)
return {id, created}
