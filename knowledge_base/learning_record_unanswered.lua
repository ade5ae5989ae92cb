-- One question without an automatic answer, counted in one atomic step
-- (knowledge_base/learning.py). Fields as UnansweredQuestion.
-- KEYS[1]: kb:unanswered; ARGV: field, bound on the fields, lang, question, channel, time,
-- the hour (epoch seconds // 3600): `hours` counts the current hour and the one before (the
-- watch ranks missing answers by growth), older hours are dropped.
-- Returns 0 when the hash is full and the question new (not recorded), else 1.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entry
if raw then
  entry = cjson.decode(raw)
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  entry = {key = ARGV[1], lang = ARGV[3], count = 0, channels = {[ARGV[5]] = 0}}
end
entry.question = ARGV[4]
entry.count = entry.count + 1
entry.channels[ARGV[5]] = (entry.channels[ARGV[5]] or 0) + 1
entry.last_at = ARGV[6]
if not entry.first_at then entry.first_at = ARGV[6] end
local hour = tonumber(ARGV[7])
local hours = {}
for h, n in pairs(entry.hours or {}) do
  if tonumber(h) >= hour - 1 then hours[h] = n end
end
hours[ARGV[7]] = (hours[ARGV[7]] or 0) + 1
entry.hours = hours
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return 1
