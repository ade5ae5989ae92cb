-- A fixed-window counter read without counting (crisis/rate_limits.py, WindowLimit.check).
-- KEYS[1]: the counter. Returns {count, seconds left (negative: no window running)}.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('TTL', KEYS[1])}
