-- One hit on a fixed-window counter (crisis/rate_limits.py, WindowLimit.hit), after the
-- window_hit prelude (crisis/window_hit.lua).
-- KEYS[1]: the counter; ARGV[1]: the window in seconds. Returns {count, seconds left}.
local n = window_hit(KEYS[1], ARGV[1])
return {n, redis.call('TTL', KEYS[1])}
