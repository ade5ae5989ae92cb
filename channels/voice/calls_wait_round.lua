-- One round of the queue's wait URL (channels/voice/calls.py Calls.wait_round), in one round
-- trip instead of four: count the round, remember Twilio's QueueSid, take the messages
-- waiting to be spoken (each is spoken once), and the caller's rank in the router's queue.
-- KEYS[1]: the call's hash ch:voice:call:{sid}, KEYS[2]: its ch:voice:call:{sid}:say list,
-- KEYS[3]: the router's queue ch:queue. ARGV[1]: the QueueSid Twilio sent ('' when none).
-- Returns {rounds, rank (0-based, -1 when not queued or no conversation), said JSON...}.
local conversation = redis.call('HGET', KEYS[1], 'conversation')
local rounds = redis.call('HINCRBY', KEYS[1], 'wait_rounds', 1)
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], 'queue_sid', ARGV[1])
end
local reply = {rounds, -1}
if conversation and conversation ~= '' then
  local rank = redis.call('ZRANK', KEYS[3], conversation)
  if rank then reply[2] = rank end
end
local said = redis.call('LRANGE', KEYS[2], 0, -1)
if #said > 0 then
  redis.call('DEL', KEYS[2])
  for _, entry in ipairs(said) do reply[#reply + 1] = entry end
end
return reply
