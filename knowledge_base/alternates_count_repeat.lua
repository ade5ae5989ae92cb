-- A repeat of a pending phrasing, counted in one atomic step (knowledge_base/alternates.py):
-- only while the proposal is still pending (a decision removes the proposal, its index field
-- and its count in one transaction).
-- KEYS: proposals (kb:alternates), phrasing index, counts; ARGV[1]: the phrasing field.
-- Returns the proposal id, or nil when no pending proposal has that phrasing.
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id or redis.call('HEXISTS', KEYS[1], id) == 0 then return false end
redis.call('HINCRBY', KEYS[3], id, 1)
return id
