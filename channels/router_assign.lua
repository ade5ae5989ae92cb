-- Give queued conversations to available operators (after router_lib.lua; the rules are in
-- Router.assign). A script may touch only the keys it is given, and which operators and
-- conversations it looks at is data: the caller passes the keys of those it last saw
-- (KEYS[7..] = for each of the n operators named in ARGV, its hash then its conversations;
-- then the hash of each conversation named in ARGV). When someone available or signed in, or
-- a conversation at the queue's head, is not among them, the script writes nothing and
-- returns {'keys', available, signed in, head}: the caller calls again with their keys.
-- ARGV: now, offer deadline, scan limit, skill wait (s), language wait (s), n, n operator
-- names, conversation ids.
-- Returns {'ok', conversation, operator, conversation, operator, ...}, the 'keys' reply, or
-- {'none'} when nobody is available.
local deadline, wait, lang_wait = ARGV[2], tonumber(ARGV[4]) or 0, tonumber(ARGV[5]) or 0
local n = tonumber(ARGV[6])
local operators, conv_hashes = {}, {}
for i = 1, n do operators[ARGV[6 + i]] = {hash = KEYS[5 + 2 * i], convs = KEYS[6 + 2 * i]} end
for j = 1, #ARGV - 6 - n do conv_hashes[ARGV[6 + n + j]] = KEYS[6 + 2 * n + j] end
local ops = redis.call('ZRANGE', AVAILABLE, 0, -1)
if #ops == 0 then return {'none'} end  -- nobody available: the caller may stop sending keys
local assigned = {'ok'}
local head = redis.call('ZRANGE', QUEUE, 0, tonumber(ARGV[3]) - 1)
if #head == 0 then return assigned end
local signed_in = redis.call('SMEMBERS', ALL)
local function all_given(names, given)
  for _, name in ipairs(names) do if not given[name] then return false end end
  return true
end
if not (all_given(ops, operators) and all_given(signed_in, operators) and all_given(head, conv_hashes)) then
  return {'keys', ops, signed_in, head}
end
local function has(list, value)  -- an empty list of languages or channels means any
  if list == false or list == nil or list == '' or value == '' then return true end
  for item in string.gmatch(list, '[^,]+') do if item == value then return true end end
  return false
end
local function knows(list, topic)  -- topics are strict: no topics means no preference
  if topic == '' then return true end
  for item in string.gmatch(list or '', '[^,]+') do if item == topic then return true end end
  return false
end
-- A topic (or a language) is worth waiting for only while someone signed in (available or
-- on a break) has it; read once, and only when a queued conversation needs it.
local staffed, speaks, anyone_speaks = nil, nil, false
local function read_staff()
  staffed, speaks = {}, {}
  for _, op in ipairs(signed_in) do
    local s = redis.call('HMGET', operators[op].hash, 'status', 'topics', 'langs')
    if s[1] == 'available' or s[1] == 'pause' then
      for topic in string.gmatch(s[2] or '', '[^,]+') do staffed[topic] = true end
      if s[3] == false or s[3] == nil or s[3] == '' then anyone_speaks = true end
      for lang in string.gmatch(s[3] or '', '[^,]+') do speaks[lang] = true end
    end
  end
end
local function is_staffed(wanted)
  if staffed == nil then read_staff() end
  return staffed[wanted] == true
end
local function is_spoken(wanted)
  if speaks == nil then read_staff() end
  return anyone_speaks or speaks[wanted] == true
end
for _, conv in ipairs(head) do
  local conv_hash = conv_hashes[conv]
  local lang, channel, topic, cost = skill_parts(redis.call('HGET', SKILLS, conv))
  local since = tonumber(redis.call('HGET', SINCE, conv)) or now
  if topic ~= '' then
    if now - since >= wait or not is_staffed(topic) then topic = '' end  -- skill expansion
  end
  -- A language nobody signed in speaks: after the language wait, any operator takes it
  -- (the console shows the detected language), rather than the citizen waiting forever.
  if lang ~= '' and lang_wait > 0 and now - since >= lang_wait and not is_spoken(lang) then
    lang = ''
  end
  for i, op in ipairs(ops) do
    local skills = redis.call('HMGET', operators[op].hash, 'langs', 'channels', 'topics')
    if has(skills[1], lang) and has(skills[2], channel) and knows(skills[3], topic) then
      local fits, need = room(operators[op], cost)
      if fits then
        unqueue(conv)
        give(op, operators[op], conv, conv_hash, need, deadline)
        redis.call('ZADD', AVAILABLE, now, op)
        assigned[#assigned + 1] = conv
        assigned[#assigned + 1] = op
        table.remove(ops, i)
        ops[#ops + 1] = op
        break
      end
    end
  end
end
return assigned
