-- Add many counts to one hash in one call: the trending terms' tally flush
-- (monitoring/term_store.py). A flush holds tens of thousands of (name, count) pairs; sent as
-- one JSON argument they cost one command to encode and parse instead of one HINCRBY each,
-- which cost more than the normalisation itself.
-- KEYS[1]: the hash; ARGV[1]: its TTL in seconds; ARGV[2]: a JSON object {name: count}.
local counts = cjson.decode(ARGV[2])
for name, count in pairs(counts) do
    redis.call('HINCRBY', KEYS[1], name, count)
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
