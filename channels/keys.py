"""Redis keys of the contact centre (all under `<prefix>ch:`).

| key                              | type   | lifetime                                   |
|----------------------------------|--------|--------------------------------------------|
| ch:{c:ID}                        | hash   | until the retention purge (the conversation;|
|                                  |        | fields incl. topic, transfer_note,         |
|                                  |        | inbound_seq / inbound_done: the citizen    |
|                                  |        | messages' order, channels/inbound_order.py,|
|                                  |        | opt_out_notice: the message confirming a   |
|                                  |        | STOP)                                      |
| ch:{c:ID}:messages               | list   | same (Message JSON, oldest first)          |
| ch:{c:ID}:transitions            | list   | same ("status at-iso" per change)          |
| ch:{c:ID}:outbound               | hash   | same (outbound message id -> list index)   |
| ch:{c:ID}:update                 | string | the update interval (paces wait updates)   |
| ch:policy                        | hash   | forever (the supervisor's queue policy)    |
| ch:tend-lock                     | string | 10 s (one process tends the queue)         |
| ch:conversations                 | zset   | id -> last change time                     |
| ch:status:{status}               | zset   | id -> last change time, one per status     |
| ch:addr:{channel}:{citizen}      | string | the continuation window (conversation id)  |
| ch:citizen:{citizen}             | hash   | until purge: channel -> raw address        |
| ch:citizen:{citizen}:convs       | set    | until purge: the citizen's conversations   |
| ch:seen:{channel}:{provider id}  | string | 7 days (drops provider retries)            |
| ch:provider:{provider id}        | string | 7 days ("conversation id|message id")      |
| ch:optout                        | set    | forever (citizens who sent STOP)           |
| ch:queue                         | zset   | conversation id -> order (urgent first)    |
| ch:queue:skills                  | hash   | conversation id -> "lang|channel|topic|cost"|
| ch:queue:since                   | hash   | conversation id -> time it entered the queue|
| ch:stats                         | hash   | service-level totals (contacts, waits...)  |
| ch:stats:contacts:{slot}         | hash   | 2 days: new conversations per channel in a 15-minute slot |
| ch:rate:{sender}:{second}        | string | 2 s (SMS sent by that sender this second)  |
| ch:op:{name}                     | hash   | operator state: status, capacity, load,    |
|                                  |        | skills langs/topics/channels (kept on logout)|
|                                  |        | and voice_address (phone or SIP, for calls)|
| ch:op:{name}:convs               | set    | conversations assigned to the operator     |
| ch:ops:available                 | zset   | operator -> idle since (longest idle first)|
| ch:ops:all                       | set    | forever (every operator who signed in: the |
|                                  |        | supervisors' view of capacity)             |
| ch:offers                        | zset   | conversation id -> offer deadline          |
| ch:live                          | pubsub | console updates for every web process      |
| ch:chat:{citizen}                | pubsub | outbound chat messages to the citizen's socket |
| ch:console:presence:{name}       | zset   | socket id -> expiry (operator presence)    |
| ch:sandbox:sms                   | list   | the last 1,000 SMS the sandbox "sent"      |
| ch:second-looks                  | stream | questions waiting for a second look (at    |
|                                  |        | most 200; deleted once handled or dropped) |
| ch:held-notices                  | zset   | JSON [conversation, message] -> when to    |
|                                  |        | send its queue notice anyway (held while a |
|                                  |        | second look decides; removed once decided) |
| channels:greetings               | hash   | while the crisis is live (crisis id ->     |
|                                  |        | JSON greeting: IVR text, SMS keywords)     |
| ch:legal-hold                    | string | until released (JSON: who, when, why: the  |
|                                  |        | retention purge waits while it is set)     |
| ch:limit:{kind}:{subject}        | string | 60 s (inbound messages counted this minute:|
|                                  |        | kind chat-ip: a keyed hash of the client   |
|                                  |        | address; kinds sms, email: the citizen id) |
| ch:{c:ID}:voice                  | hash   | until the retention purge (the call facts: |
|                                  |        | call sid, queue, wait, talk time, outcome, |
|                                  |        | callback attempts)                         |
| ch:voice:call:{sid}              | hash   | 1 day (one call's state: conversation,     |
|                                  |        | language, citizen, where it is in the IVR) |
| ch:voice:call:{sid}:say          | list   | 1 day (messages to speak at the call's next|
|                                  |        | turn: JSON id, text, article)              |
| ch:voice:live:{citizen}          | string | 4 h (the citizen's call in progress)       |
| ch:voice:queue:{name}            | set    | while callers wait (call sids in one       |
|                                  |        | Twilio queue: its size)                    |
| ch:voice:queues                  | hash   | forever (Twilio queue name -> QueueSid)    |
| ch:voice:ivr                     | hash   | while the crisis is live (crisis id -> the |
|                                  |        | cell's IVR texts, audio URL, voice: JSON)  |
| ch:voice:stats                   | hash   | forever (calls, abandoned, waits, talk)    |

The `{c:ID}` hash tag keeps one conversation's keys in one Redis Cluster slot. Only
ConversationStore (channels/store.py) writes a conversation's keys, but for the router's
scripts, which set `operator` and `cost` with the operator's load in one step.
"""

from __future__ import annotations

import dataclasses

from crisis.keys import Keys


@dataclasses.dataclass(frozen=True)
class ChannelKeys:
    keys: Keys

    def _k(self, *parts: str) -> str:
        return self.keys.scoped("ch", *parts)

    def conversation(self, conversation_id: str) -> str:
        return self._k(f"{{c:{conversation_id}}}")

    def messages(self, conversation_id: str) -> str:
        return self.conversation(conversation_id) + ":messages"

    def outbound_index(self, conversation_id: str) -> str:
        return self.conversation(conversation_id) + ":outbound"

    def transitions(self, conversation_id: str) -> str:
        return self.conversation(conversation_id) + ":transitions"

    @property
    def conversations(self) -> str:
        return self._k("conversations")

    def by_status(self, status: str) -> str:
        return self._k("status", status)

    def address(self, channel: str, citizen: str) -> str:
        return self._k("addr", channel, citizen)

    def conversation_keys(self, conversation_id: str) -> list[str]:
        """Every key that belongs to one conversation alone: what a deletion removes."""
        return [self.conversation(conversation_id), self.messages(conversation_id),
                self.transitions(conversation_id), self.outbound_index(conversation_id),
                self.wait_update(conversation_id), self.voice_facts(conversation_id)]

    def wait_update(self, conversation_id: str) -> str:
        """Paces the queue-position updates sent to one waiting citizen."""
        return self.conversation(conversation_id) + ":update"

    def citizen_conversations(self, citizen: str) -> str:
        return self.citizen(citizen) + ":convs"

    def citizen(self, citizen: str) -> str:
        return self._k("citizen", citizen)

    # --- alerts (channels/alerts/) ---
    def alert_subscriber(self, channel: str, citizen: str) -> str:
        """One subscription: channel, raw address, areas, language, consent time, source."""
        return self._k("alert", "sub", channel, citizen)

    def alert_channel(self, channel: str) -> str:
        """Every citizen subscribed on `channel` (whatever their areas): the totals."""
        return self._k("alert", "channel", channel)

    def alert_area(self, area: str, channel: str) -> str:
        """The citizens subscribed to département `area` on `channel`."""
        return self._k("alert", "area", area, channel)

    @property
    def broadcasts(self) -> str:
        """Every broadcast id by creation time."""
        return self._k("alert", "broadcasts")

    def broadcast(self, broadcast_id: str) -> str:
        """A broadcast: its publication, areas, texts, state and counters."""
        return self._k("alert", "bc", broadcast_id)

    def broadcast_to(self, broadcast_id: str, channel: str) -> str:
        """The recipients of a broadcast on `channel` still to send to (a snapshot)."""
        return self._k("alert", "bc", broadcast_id, "to", channel)

    def broadcast_claimed(self, broadcast_id: str, channel: str) -> str:
        """Recipients taken by a sending job: "claimed", then "sending" just before the
        provider call; removed once sent or failed (channels/alerts/sending.py)."""
        return self._k("alert", "bc", broadcast_id, "claimed", channel)

    def broadcast_lease(self, broadcast_id: str, channel: str) -> str:
        """Held by the job sending a broadcast on `channel`; gone means resume it."""
        return self._k("alert", "bc", broadcast_id, "lease", channel)

    # pulse questions (channels/alerts/pulses.py)
    @property
    def pulses(self) -> str:
        """Every pulse question id by creation time."""
        return self._k("alert", "pulses")

    @property
    def pulses_open(self) -> str:
        """The open pulse questions: id -> end time (what the desk checks a reply against)."""
        return self._k("alert", "pulses", "open")

    def pulse(self, pulse_id: str) -> str:
        """A pulse question: question, options, scope, sample, seed, times."""
        return self._k("alert", "pulse", pulse_id)

    def pulse_sample(self, pulse_id: str, channel: str) -> str:
        """The citizens drawn for a pulse question on `channel` (whose replies count)."""
        return self._k("alert", "pulse", pulse_id, "sample", channel)

    def pulse_answers(self, pulse_id: str) -> str:
        """Each answering citizen's option ("channel:citizen" -> number)."""
        return self._k("alert", "pulse", pulse_id, "answers")

    def pulse_counts(self, pulse_id: str) -> str:
        """Answers per option (kept in step with pulse_answers by pulse_answer.lua)."""
        return self._k("alert", "pulse", pulse_id, "counts")
    # --- end of alerts ---

    def sending(self, message_id: str) -> str:
        """Set just before an outbound message's provider call, removed once the provider
        answered: still there on a retry means the call's outcome is unknown."""
        return self._k("sending", message_id)

    @property
    def reply_stream(self) -> str:
        """Outbound replies waiting for a worker's reply consumer (channels/reply_stream.py):
        one entry per reply, read in batches by the consumer group, deleted once handled."""
        return self._k("replies")

    @property
    def second_looks(self) -> str:
        """Citizens' questions waiting for a second look (channels/second_look_requests.py):
        one entry per question, bounded, deleted once handled or dropped."""
        return self._k("second-looks")

    @property
    def held_notices(self) -> str:
        """Queue notices held while a second look decides (channels/second_look_requests.py):
        JSON [conversation, message] -> when to send it anyway."""
        return self._k("held-notices")

    def handled(self, message_id: str) -> str:
        """Set once the inbound pipeline handled a citizen's message (channels/desk.py)."""
        return self._k("handled", message_id)

    def seen(self, channel: str, provider_id: str) -> str:
        return self._k("seen", channel, provider_id)

    def provider(self, provider_id: str) -> str:
        return self._k("provider", provider_id)

    @property
    def optout(self) -> str:
        return self._k("optout")

    @property
    def queue(self) -> str:
        return self._k("queue")

    @property
    def queue_skills(self) -> str:
        return self._k("queue", "skills")

    def operator(self, name: str) -> str:
        return self._k("op", name)

    @property
    def queue_since(self) -> str:
        return self._k("queue", "since")

    def operator_conversations(self, name: str) -> str:
        return self._k("op", name, "convs")

    @property
    def available(self) -> str:
        return self._k("ops", "available")

    @property
    def operators(self) -> str:
        return self._k("ops", "all")

    @property
    def offers(self) -> str:
        return self._k("offers")

    @property
    def live(self) -> str:
        return self._k("live")

    @property
    def policy(self) -> str:
        return self._k("policy")

    @property
    def tend_lock(self) -> str:
        return self._k("tend-lock")

    @property
    def stats(self) -> str:
        return self._k("stats")

    def contacts_slot(self, slot: int) -> str:
        """New conversations per channel in one SLOT_S slot (channels/service_levels.py)."""
        return self._k("stats", "contacts", str(slot))

    def send_spread(self, sender: str) -> str:
        """When the next evenly spaced send of `sender` may go (channels/pacing_spread.lua)."""
        return self._k("spread", sender)

    def send_rate(self, sender: str, second: int | str) -> str:
        """SMS sent by `sender` in one wall-clock second (paces every worker together)."""
        return self._k("rate", sender, str(second))

    @property
    def sandbox_sms(self) -> str:
        return self._k("sandbox", "sms")

    def sandbox(self, channel: str) -> str:
        """What the demo's sandbox of `channel` ("telegram", "mail") would have sent."""
        return self._k("sandbox", channel)

    def chat(self, citizen: str) -> str:
        """The pub/sub channel of one citizen's chat sockets (every web process listens)."""
        return self._k("chat", citizen)

    @property
    def chat_pattern(self) -> str:
        """What the chat relay subscribes to: every citizen's channel."""
        return self._k("chat", "*")

    def console_presence(self, name: str) -> str:
        return self._k("console", "presence", name)

    @property
    def greetings(self) -> str:
        """The live crises' greetings (channels/greetings.py); its name predates `ch:`."""
        return self.keys.scoped("channels", "greetings")

    @property
    def legal_hold(self) -> str:
        """Set while an inquiry suspends the retention purge (channels/retention.py)."""
        return self._k("legal-hold")

    def limit(self, kind: str, subject: str) -> str:
        """The per-minute inbound counter of one sender (channels/inbound_limits.py)."""
        return self._k("limit", kind, subject)

    # --- telephone (channels/voice/) ---
    def voice_facts(self, conversation_id: str) -> str:
        """A voice conversation's call facts (sid, queue, wait, talk time, outcome)."""
        return self.conversation(conversation_id) + ":voice"

    def voice_call(self, call_sid: str) -> str:
        return self._k("voice", "call", call_sid)

    def voice_say(self, call_sid: str) -> str:
        """Messages waiting to be spoken at the call's next TwiML turn."""
        return self.voice_call(call_sid) + ":say"

    def voice_live(self, citizen: str) -> str:
        return self._k("voice", "live", citizen)

    def voice_queue(self, name: str) -> str:
        return self._k("voice", "queue", name)

    @property
    def voice_queues(self) -> str:
        return self._k("voice", "queues")

    @property
    def voice_ivr(self) -> str:
        return self._k("voice", "ivr")

    @property
    def voice_stats(self) -> str:
        return self._k("voice", "stats")
    # --- end of telephone ---
