-- One hit on a fixed-window counter: its count after the hit. A prelude, joined before the
-- scripts that count (crisis/rate_limits_hit.lua, channels/store_receive.lua) by lua_source.
local function window_hit(counter, window)
  local n = redis.call('INCR', counter)
  -- A counter found without an expiry would refuse its subject forever: give it the window.
  if n == 1 or redis.call('TTL', counter) < 0 then redis.call('EXPIRE', counter, window) end
  return n
end
