-- A new call (channels/voice/calls.py Calls.start), in one round trip.
-- KEYS[1]: the call's hash ch:voice:call:{sid}, KEYS[2]: the citizen's ch:voice:live:{citizen}
-- (not written when ARGV[4] is empty), KEYS[3]: the telephone's totals ch:voice:stats.
-- ARGV: 1 now (epoch seconds), 2 the call sid, 3 caller, 4 citizen, 5 lang, 6 stage,
-- 7 direction, 8 conversation, 9 the call's lifetime (s), 10 the live mark's lifetime (s),
-- 11 the totals' field counting calls of that direction (calls:inbound...).
-- Returns 0 when Twilio asked again for a call already recorded (nothing written), else 1.
if redis.call('HSETNX', KEYS[1], 'started', ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'caller', ARGV[3], 'citizen', ARGV[4], 'lang', ARGV[5],
           'stage', ARGV[6], 'direction', ARGV[7], 'conversation', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[9])
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[10])
end
redis.call('HINCRBY', KEYS[3], ARGV[11], 1)
return 1
