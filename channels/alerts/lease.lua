-- The lease of the one job sending a broadcast on a channel (channels/alerts/sending.py).
-- Taken when free, when marked "queued" (a continuation enqueued for whoever starts first),
-- or already ours; then (re)set to ARGV[1] for ARGV[2] seconds. KEYS: the lease.
-- Returns 1 when the caller holds it, 0 when another live job does.
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= 'queued' and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return 1
