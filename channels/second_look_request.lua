-- A citizen's question asked for a second look (channels/second_look_requests.py), only while
-- fewer than the bound wait: past it the question simply stays with the operators, and the
-- caller counts it dropped. Handled entries are deleted, so the length is the backlog.
-- KEYS: 1 the second-look stream. ARGV: 1 the bound, then the entry's fields (name, value pairs).
-- Returns the entry's id, or false when the backlog is full.
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
