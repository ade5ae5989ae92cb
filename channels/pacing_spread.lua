-- Evenly spaced sends (GCRA): reserve the next send time on KEYS[1], ARGV[1] microseconds
-- after the previous reservation, never before now (Redis's own clock, shared by every
-- worker). Returns how many microseconds the caller waits before sending. A burst at the top
-- of each second would let a send paced in one second reach the provider in the next one
-- (network delay) and that second hold one more than the limit; evenly spaced, never.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local at = tonumber(redis.call('GET', KEYS[1]) or '0')
if at < now_us then
  at = now_us
end
redis.call('SET', KEYS[1], tostring(at + interval), 'PX', math.ceil((at + interval - now_us) / 1000) + 1000)
return at - now_us
