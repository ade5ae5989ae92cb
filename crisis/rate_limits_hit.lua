-- One hit on a fixed-window counter (crisis/rate_limits.py, WindowLimit.hit).
-- KEYS[1]: the counter; ARGV[1]: the window in seconds. Returns {count, seconds left}.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('TTL', KEYS[1])
-- A counter found without an expiry would refuse its subject forever: give it the window.
if left < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {n, left}
