-- Run after inbound_order_mark_done.lua (its KEYS[1], ARGV[1], ARGV[2]): the rest of a
-- handled citizen message's last writes, in the same round trip (channels/desk.py,
-- Desk.process_inbound; channels/store.py, ConversationStore.finish_inbound): the handled
-- mark, then the counters of what was done (channels/service_levels.py).
-- KEYS: 2 the handled mark, then one hash per counter.
-- ARGV: 3 the handled mark's TTL, then per counter: field, amount, 'int' or 'float', TTL in
--   seconds ('0': none).
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
for i = 3, #KEYS do
  local at = 4 + (i - 3) * 4
  if ARGV[at + 2] == 'int' then
    redis.call('HINCRBY', KEYS[i], ARGV[at], ARGV[at + 1])
  else
    redis.call('HINCRBYFLOAT', KEYS[i], ARGV[at], ARGV[at + 1])
  end
  if ARGV[at + 3] ~= '0' then redis.call('EXPIRE', KEYS[i], ARGV[at + 3]) end
end
return 1
