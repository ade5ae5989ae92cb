"""The IVR: what each webhook of a call answers, as TwiML.

A call is greeted, hears the instructions in force and a menu (1 repeat, 2 by SMS, 3 ask a
question, 4 talk to a person, 9 English). A spoken question is recorded on the caller's voice
conversation like an SMS, so the desk's inbound pipeline decides (auto-answer above the voice
threshold, queue otherwise, urgent first); its outbound messages come back through the voice
channel's sender (channels/voice/sender.py), and the webhook reads them out once the pipeline
has handled the question. A queued caller waits in a Twilio `<Enqueue>` queue of the
conversation's skill, whose wait URL tells position and wait, speaks what operators wrote,
replays the instructions and offers a callback when the wait is long.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from channels.addresses import citizen_id
from channels.answer_forms import fit_sms
from channels.desk import Desk
from channels.messages import say
from channels.voice.adapter import CallTurn, TwilioVoice
from channels.voice.calls import Calls, CallStage
from channels.voice.content import IvrContentSource
from channels.voice.texts import voice_text
from channels.voice.twiml import Twiml, VoiceUrls, lang_of, queue_name
from channels.voice.twiml_cache import TwimlCache
from crisis.errors import CrisisError, NotFound
from crisis.settings import Settings
from crisis.types import ChannelKind, Conversation, ConversationStatus, InboundMessage, utcnow

log = logging.getLogger(__name__)

ANSWER_WAIT_S = 3.0  # how long one webhook waits for the pipeline (Twilio allows 15 s)
ANSWER_POLL_S = 0.02
MAX_PENDING_TURNS = 4  # then the question goes to a person
REPLAY_EVERY = 2  # wait rounds between two readings of the instructions
WAITING = frozenset({ConversationStatus.QUEUED, ConversationStatus.ASSIGNED,
                     ConversationStatus.WAITING_CITIZEN})
SPOKEN_KEYS = {"un": "1", "one": "1", "répéter": "1", "repeat": "1", "deux": "2", "two": "2",
               "sms": "2", "trois": "3", "three": "3", "question": "3", "quatre": "4",
               "four": "4", "conseiller": "4", "adviser": "4", "neuf": "9", "nine": "9",
               "anglais": "9", "english": "9", "français": "9", "french": "9"}


@dataclasses.dataclass
class Ivr:
    desk: Desk
    calls: Calls
    content: IvrContentSource
    adapter: TwilioVoice
    settings: Settings
    # The first turn, "1" and most wait rounds are the same TwiML for many callers.
    _cache: TwimlCache = dataclasses.field(default_factory=TwimlCache)

    @property
    def urls(self) -> VoiceUrls:
        return VoiceUrls(self.settings.base_url)

    async def twiml(self, lang: str) -> Twiml:
        return Twiml(await self.content.get(), lang, self.urls)

    # -- the first turn and the menu ------------------------------------------------------
    async def incoming(self, turn: CallTurn, lang: str = "fr") -> str:
        """A new call: greeting, instructions, menu (the same TwiML for every caller while
        the content is: built once per content and language)."""
        citizen = citizen_id(self.desk.store.secret, turn.address)
        await self.calls.start(turn.sid, caller=turn.caller, citizen=citizen, lang=lang)
        return await self.welcome(lang)

    async def welcome(self, lang: str, *, greeting: bool = True) -> str:
        content = await self.content.get()
        lang = lang_of(lang)

        def build() -> str:
            out = Twiml(content, lang, self.urls)
            return str((out.greeting() if greeting else out).instructions().menu())
        return self._cache.get(content, ("welcome", lang, greeting, self.settings.base_url),
                               build)

    async def menu_choice(self, turn: CallTurn, lang: str, *, answer: str = "",
                          silent: int = 0) -> str:
        lang = lang_of(lang)
        choice = turn.digits or SPOKEN_KEYS.get(turn.speech.lower().strip(" .!?"), "")
        if choice == "1":  # the shared TwiML: no per-caller building
            return await self.welcome(lang, greeting=False)
        out = await self.twiml(lang)
        if not turn.digits and not turn.speech:  # silence: the menu again, then goodbye
            return str(out.menu(answer=answer, silent=silent))
        if choice == "2":
            return str(await self._by_sms(turn, out, answer))
        if choice == "3":
            return str(out.ask_question(await self._next_turn(turn.sid)))
        if choice == "4":
            return await self._record(turn, lang, say("adviser_request", lang))
        if choice == "9":
            other = "fr" if lang == "en" else "en"
            await self.calls.update(turn.sid, lang=other)
            return await self.welcome(other)
        if turn.speech and not turn.digits:  # words that are no menu key: a question
            return await self._record(turn, lang, turn.speech)
        return str(out.text("not_heard").menu(answer=answer))

    async def _next_turn(self, sid: str) -> int:
        return int(await self.desk.ctx.redis.hincrby(self.calls.k.voice_call(sid), "turns", 1))

    async def _by_sms(self, turn: CallTurn, out: Twiml, answer: str) -> Twiml:
        """Option 2: the instructions (or the answer just read) by SMS to the caller."""
        if not turn.caller or not self.settings.twilio_from:
            return out.text("no_sms").menu()
        call = await self.calls.get(turn.sid)
        text = await self._sms_text(out, call, answer)
        conversation_id = call.get("conversation", "")
        job = self.desk.ctx.jobs
        if conversation_id:  # recorded on the conversation, sent by the reply job
            await self.desk.send_via(ChannelKind.SMS, conversation_id, text, author="auto")
        else:
            await job.enqueue_async("channels.voice.jobs.send_caller_sms_job", turn.caller,
                                    text, queue="replies", retries=3)
        return out.text("sms_sent").menu()

    async def _sms_text(self, out: Twiml, call: dict[str, str], answer: str) -> str:
        if answer and call.get("conversation"):
            for message in reversed(await self.desk.store.messages(call["conversation"])):
                if message.id == answer:
                    article = await self.desk.article_of(message.article_id) \
                        if message.article_id else None
                    return fit_sms(article.sms) if article else fit_sms(message.text)
        titles = [i.title for i in out.content.instructions.get(out.lang, ())]
        return fit_sms(voice_text("sms_instructions", out.lang).format(
            titles=" ; ".join(titles) or voice_text("no_instructions", out.lang),
            site=self.settings.base_url + "/"))

    # -- questions: recorded like an SMS, answered by the desk's pipeline -----------------
    async def question(self, turn: CallTurn, lang: str, step: int) -> str:
        if not turn.speech:
            return str((await self.twiml(lang)).text("not_heard").menu())
        return await self._record(turn, lang, turn.speech, provider=f"{turn.sid}:q{step}")

    async def _record(self, turn: CallTurn, lang: str, text: str, provider: str = "") -> str:
        """Record the caller's words on their voice conversation, then speak the outcome."""
        lang = lang_of(lang)
        provider = provider or f"{turn.sid}:p{await self._next_turn(turn.sid)}"
        # A caller on the line cannot be told to call back: stored whatever the backlog.
        received = await self.desk.store.receive(InboundMessage(
            channel=ChannelKind.VOICE, address=turn.address, text=text, provider_id=provider,
            received_at=utcnow(), lang=lang), bounded=False)
        call = await self.calls.get(turn.sid)
        conversation_id = received.conversation_id if received else call.get("conversation", "")
        if not conversation_id:
            return str((await self.twiml(lang)).text("trouble").menu())
        if received:
            await self.calls.update(turn.sid, conversation=conversation_id)
            await self.calls.record_facts(conversation_id, call_sid=turn.sid)
        seq = int(await self.desk.ctx.redis.hget(
            self.desk.k.conversation(conversation_id), "inbound_seq") or 0)
        await self.calls.update(turn.sid, pending_seq=seq)
        return await self._outcome(turn.sid, conversation_id, seq, lang, tries=0)

    async def pending(self, turn: CallTurn, lang: str, tries: int) -> str:
        call = await self.calls.get(turn.sid)
        conversation_id = call.get("conversation", "")
        if not conversation_id:
            return str((await self.twiml(lang)).menu())
        return await self._outcome(turn.sid, conversation_id, int(call.get("pending_seq") or 0),
                                   lang, tries=tries)

    async def _handled(self, conversation_id: str, seq: int, budget_s: float) -> bool:
        """True once the pipeline has handled inbound message `seq` (channels/inbound_order)."""
        key = self.desk.k.conversation(conversation_id)
        deadline = time.monotonic() + budget_s
        while True:
            if int(await self.desk.ctx.redis.hget(key, "inbound_done") or 0) >= seq:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(ANSWER_POLL_S)

    async def _outcome(self, sid: str, conversation_id: str, seq: int, lang: str,
                       tries: int) -> str:
        out = await self.twiml(lang)
        if not await self._handled(conversation_id, seq, ANSWER_WAIT_S):
            if tries < MAX_PENDING_TURNS:
                return str(out.pending(seq, tries))
            log.warning("voice question not handled in time", extra={"call": sid})
            return str(out.text("trouble").menu())
        said = await self.calls.take_said(sid)
        conversation = await self.desk.store.get(conversation_id)
        out.say(*(entry["text"] for entry in said))
        if conversation.status in WAITING:
            return str(await self._enqueue(sid, conversation, out))
        answered = [entry["id"] for entry in said if entry.get("article")]
        if answered:
            return str(out.menu(prompt=voice_text("answer_menu", out.lang), answer=answered[-1]))
        return str(out.menu())

    # -- the queue -----------------------------------------------------------------------
    async def _enqueue(self, sid: str, conversation: Conversation, out: Twiml) -> Twiml:
        skill = await self.desk.router.queued_skill(conversation.id) or \
            f"{conversation.lang}|voice|{conversation.topic}|0"
        name = queue_name(skill)
        if await self.calls.queue_size(name) >= self.settings.voice_queue_max:
            # Beyond the queue's size: a callback, never a busy tone.
            return out.offer_callback("queue_full", "callback-choice").menu()
        await self.calls.join_queue(sid, name)
        await self.calls.record_facts(conversation.id, queue=name)
        if not await self.desk.ctx.redis.hexists(self.calls.k.voice_queues, name):
            await self.desk.ctx.jobs.enqueue_async("channels.voice.jobs.ensure_queue_job",
                                                   name, queue="default", retries=2)
        return out.enqueue(name)

    async def wait(self, turn: CallTurn, lang: str) -> str:
        """The wait URL: position and wait, what operators wrote, the instructions every
        other round, a callback offer when the wait is long; then a pause. One round trip
        to Redis; without operators' words the TwiML is shared by every caller told the
        same position and wait (cached per content, language and figures)."""
        content = await self.content.get()
        lang = lang_of(lang)
        state = await self.calls.wait_round(turn.sid, turn.queue_sid)
        position = state.position or turn.queue_position or 1
        seconds = await self.desk.waits.seconds_for(position)
        callback = bool(turn.caller) and seconds > self.settings.voice_callback_wait_s
        replay = state.number % REPLAY_EVERY == 0
        pause_s = self.settings.voice_wait_update_s
        texts = [entry["text"] for entry in state.said]
        if texts:  # what operators wrote to this caller: spoken once, never shared
            return str(Twiml(content, lang, self.urls).wait_turn(
                texts, callback=callback, replay=replay, pause_s=pause_s))
        minutes = max(1, round(seconds / 60))

        def build() -> str:
            told = voice_text("wait", lang).format(position=position, minutes=minutes)
            return str(Twiml(content, lang, self.urls).wait_turn(
                [told], callback=callback, replay=replay, pause_s=pause_s))
        return self._cache.get(content, ("wait", lang, position, minutes, callback, replay,
                                         pause_s, self.settings.base_url), build)

    async def wait_key(self, turn: CallTurn, lang: str) -> str:
        out = await self.twiml(lang)
        if turn.digits == "1":
            await self.calls.update(turn.sid, callback="1")
            return str(out.leave())  # the Enqueue's action (queue_exit) takes it from here
        return str(out.text("still_waiting"))

    async def callback_choice(self, turn: CallTurn, lang: str) -> str:
        """The answer to a callback offered because the queue was full."""
        out = await self.twiml(lang)
        if turn.digits != "1":
            return str(out.text("goodbye").hangup())
        return str(await self._callback_requested(turn, out))

    async def _callback_requested(self, turn: CallTurn, out: Twiml) -> Twiml:
        call = await self.calls.get(turn.sid)
        conversation_id = call.get("conversation", "")
        if not turn.caller or not conversation_id:
            return out.text("no_callback").hangup()
        await self.calls.record_facts(conversation_id, callback="requested", callback_attempts=0)
        await self.calls.count(callbacks_requested=1)
        from crisis.metrics import CALLBACKS

        CALLBACKS.labels("requested").inc()
        await self.calls.end(turn.sid, call.get("citizen", ""))
        # The conversation keeps its place in the router's queue: when an operator with the
        # skills is free, the router gives it to them and a job calls the citizen back.
        return out.text("callback_noted").hangup()

    async def queue_exit(self, turn: CallTurn, lang: str) -> str:
        """The Enqueue's action: why the caller left the queue."""
        call = await self.calls.get(turn.sid)
        out = await self.twiml(lang)
        name = call.get("queue", "")
        left = await self.calls.leave_queue(turn.sid, name) if name else False
        conversation_id = call.get("conversation", "")
        if turn.queue_result == "leave" and call.get("callback") == "1":
            return str(await self._callback_requested(turn, out))
        if turn.queue_result == "hangup":
            if left:
                await self._abandoned(call, turn.queue_time_s)
            return str(out)
        if turn.queue_result == "queue-full":
            return str(out.offer_callback("queue_full", "callback-choice").menu())
        if turn.queue_result in ("redirected", "bridged"):
            return str(out)
        if turn.queue_result in ("error", "system-error") and conversation_id:
            log.warning("Twilio queue error", extra={"call": turn.sid})
        return str(out.text("trouble").menu())

    async def _abandoned(self, call: dict[str, str], wait_s: float) -> None:
        """A caller hung up while waiting for a person: counted, conversation closed."""
        if not wait_s and call.get("queued_at"):
            wait_s = max(0.0, time.time() - float(call["queued_at"]))
        await self.calls.abandoned(wait_s)
        conversation_id = call.get("conversation", "")
        if conversation_id:
            await self.calls.record_facts(conversation_id, outcome="abandoned", wait_s=wait_s)
            try:
                await self.desk.close(conversation_id, "citizen", wrap_up="abandoned")
            except CrisisError:
                log.info("abandoned call's conversation already closed")

    # -- the end of a call ----------------------------------------------------------------
    async def status(self, turn: CallTurn) -> None:
        """A call's status callback: the call is over (or a callback was not answered)."""
        call = await self.calls.get(turn.sid)
        if not call:
            return
        await self.calls.end(turn.sid, call.get("citizen", ""))
        name = call.get("queue", "")
        if name and await self.calls.leave_queue(turn.sid, name) \
                and call.get("stage") == CallStage.QUEUED and call.get("callback") != "1":
            await self._abandoned(call, turn.queue_time_s)
            return
        conversation_id = call.get("conversation", "")
        if not conversation_id or call.get("stage") in (CallStage.BRIDGING, CallStage.BRIDGED):
            return
        try:
            conversation = await self.desk.store.get(conversation_id)
        except NotFound:
            return
        if conversation.status in (ConversationStatus.NEW, ConversationStatus.AUTO_ANSWERED):
            # Answered by the IVR alone: the call was the whole conversation.
            await self.calls.record_facts(conversation_id, outcome="self-service")
            await self.desk.close(conversation_id, "citizen", wrap_up="ivr")

    async def situation(self) -> dict[str, Any]:
        figures = await self.calls.situation()
        sizes = {}
        for name in await self.desk.ctx.redis.hkeys(self.calls.k.voice_queues):
            sizes[str(name)] = await self.calls.queue_size(str(name))
        figures["queues"] = sizes
        return figures
