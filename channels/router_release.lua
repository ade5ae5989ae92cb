-- Free the capacity an operator holds for a conversation (after router_lib.lua); nothing
-- when another operator holds it now.
-- KEYS[7]: the conversation's hash; KEYS[8], KEYS[9]: the operator's hash and conversations.
-- ARGV: now, conversation.
take_back({hash = KEYS[8], convs = KEYS[9]}, ARGV[2], KEYS[7])
return 1
