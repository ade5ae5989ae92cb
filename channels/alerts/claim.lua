-- Take up to ARGV[1] recipients of a broadcast's channel for a job; ARGV[2] is the claim
-- value to record ("c:" and the job's token, channels/alerts/sending.py): moved from the snapshot set into the claimed hash in one step,
-- so a recipient is held by one job at a time and never lost between the two.
-- KEYS: the snapshot set (still to send), the claimed hash. Returns the members taken.
local members = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
for _, member in ipairs(members) do
  redis.call('HSET', KEYS[2], member, ARGV[2])
end
return members
