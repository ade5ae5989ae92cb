"""Calls and operators: taking a call from the console, the
bridge to the operator's phone, and callbacks.

The router gives a queued call to an operator like any conversation, at their whole
capacity (channels/router.py: a call's cost is the operator's capacity). "Prendre l'appel"
redirects the caller's call out of its Twilio queue (REST call update) to TwiML that dials
the operator's registered phone number, SIP address or browser (`client:<name>`, the Twilio
Voice JS SDK: channels/voice/browser_phone.py). A callback is a conversation queued
like the call it replaces: when the router gives it to an operator, a job calls the citizen
and puts them through.
"""

from __future__ import annotations

import asyncio
import re
import time

from channels.addresses import normalise_address
from channels.desk import Desk
from channels.voice.adapter import CallTurn, TwilioVoice
from channels.voice.browser_phone import CLIENT_PREFIX, NOT_CONFIGURED, client_address
from channels.voice.calls import Calls, CallStage
from channels.voice.ivr import Ivr
from crisis.errors import CrisisError, InvalidInput, InvalidTransition, NotFound
from crisis.metrics import CALL_TALK, CALL_WAIT, CALLBACKS
from crisis.types import ChannelKind, Conversation, Event

SIP = re.compile(r"^sips?:[\w.+\-]{1,64}@[\w.\-]{1,190}(?::\d{1,5})?$")
MAX_CALLBACK_ATTEMPTS = 3  # the first call and two retries
MISSED = frozenset({"busy", "no-answer", "failed", "canceled"})


def check_voice_address(raw: str, operator: str = "") -> str:
    """An operator's phone number (E.164), SIP address, or their own browser
    (`client:<operator>`); InvalidInput otherwise. A browser address names only the operator
    registering it: calls for them must never ring someone else's browser."""
    raw = raw.strip()
    if raw.startswith(CLIENT_PREFIX):
        if not operator or raw != client_address(operator):
            raise InvalidInput(f"a browser address is your own: {client_address(operator)}")
        return raw
    if raw.startswith("sip"):
        if not SIP.match(raw):
            raise InvalidInput("a SIP address looks like sip:name@pbx.example.fr")
        return raw
    return normalise_address(ChannelKind.VOICE, raw)


class CallDesk:
    """What operators do with calls, on top of the IVR's state."""

    def __init__(self, ivr: Ivr) -> None:
        self.ivr = ivr
        self.desk: Desk = ivr.desk
        self.calls: Calls = ivr.calls
        self.adapter: TwilioVoice = ivr.adapter

    async def operator_address(self, name: str) -> str:
        raw = await self.desk.ctx.redis.hget(self.desk.k.operator(name), "voice_address")
        return str(raw or "")

    async def set_operator_address(self, name: str, raw: str) -> str:
        """Save where `name` takes calls; callbacks already given to them are placed now.
        InvalidInput for an address that is no phone, SIP or their own browser, or for the
        browser when the centre is not set up for it."""
        address = check_voice_address(raw, name) if raw.strip() else ""
        if address.startswith(CLIENT_PREFIX) and not self.ivr.settings.browser_phone_enabled:
            raise InvalidInput(NOT_CONFIGURED)
        await self.desk.ctx.redis.hset(self.desk.k.operator(name), "voice_address", address)
        if address:
            for conversation_id in (await self.desk.router.operator(name)).conversations:
                if (await self.calls.facts(conversation_id)).get("callback") == "requested":
                    await self.desk.router.accept(conversation_id)
                    await self.schedule_callback(conversation_id, name)
        return address

    async def take_call(self, conversation: Conversation, operator: str) -> str:
        """"Prendre l'appel": put the caller through to `operator`, or call a callback now.
        Returns "bridging" or "calling back"."""
        if conversation.channel is not ChannelKind.VOICE:
            raise InvalidInput("only a call can be taken")
        if conversation.operator != operator:
            raise InvalidTransition("this call is not given to you")
        address = await self.operator_address(operator)
        if not address:
            raise InvalidInput("register your phone number, SIP address or browser first")
        facts = await self.calls.facts(conversation.id)
        await self.desk.router.accept(conversation.id)  # no offer timeout during the call
        if facts.get("callback") in ("requested", "failed"):
            await self.schedule_callback(conversation.id, operator)
            return "calling back"
        sid = facts.get("call_sid", "")
        call = await self.calls.get(sid) if sid else {}
        if call.get("stage") != CallStage.QUEUED:
            raise InvalidTransition("the caller is no longer waiting")
        url = self.ivr.urls.url("bridge", lang=call.get("lang", "fr"),
                                conversation=conversation.id, operator=operator)
        await asyncio.to_thread(self.adapter.redirect_call, sid, url)
        await self.calls.update(sid, stage=CallStage.BRIDGING, operator=operator)
        wait_s = max(0.0, time.time() - float(call.get("queued_at") or time.time()))
        CALL_WAIT.observe(wait_s)
        await self.calls.count(bridged=1, wait_sum=wait_s)
        await self.calls.record_facts(conversation.id, wait_s=round(wait_s, 1),
                                      operator=operator)
        return "bridging"

    async def bridge(self, turn: CallTurn, lang: str, conversation_id: str,
                     operator: str) -> str:
        """The caller's call, out of the queue: dial the operator."""
        out = await self.ivr.twiml(lang)
        address = await self.operator_address(operator)
        if not address:
            return str(out.text("operator_missed").menu())
        await self.calls.update(turn.sid, stage=CallStage.BRIDGED)
        action = self.ivr.urls.url("dial-done", lang=out.lang, conversation=conversation_id,
                                   operator=operator)
        return str(out.text("connecting").dial(address, caller_id=self.adapter.caller_id,
                                                action=action))

    async def dial_done(self, turn: CallTurn, lang: str, conversation_id: str,
                        operator: str) -> str:
        """The operator's leg ended: talk time recorded, or back to the queue if missed."""
        out = await self.ivr.twiml(lang)
        if turn.dial_status in MISSED:
            await self.desk.requeue(conversation_id, operator, actor="router")
            conversation = await self.desk.store.get(conversation_id)
            out.text("operator_missed")
            twiml = await self.ivr._enqueue(turn.sid, conversation, out)
            await self.desk.assign()
            return str(twiml)
        CALL_TALK.observe(turn.dial_duration_s)
        await self.calls.count(talk_sum=turn.dial_duration_s, talked=1)
        await self.calls.record_facts(conversation_id, talk_s=turn.dial_duration_s,
                                      outcome="answered")
        await self.calls.update(turn.sid, stage=CallStage.ENDED)
        return str(out.text("goodbye").hangup())

    # -- callbacks ------------------------------------------------------------------------
    async def on_assigned(self, event: Event) -> None:
        """A callback given to an operator by the router: call the citizen back."""
        try:
            conversation = await self.desk.store.get(event.subject)
        except NotFound:
            return
        if conversation.channel is not ChannelKind.VOICE or not conversation.operator:
            return
        facts = await self.calls.facts(conversation.id)
        if facts.get("callback") == "requested" and \
                await self.operator_address(conversation.operator):
            await self.desk.router.accept(conversation.id)
            await self.schedule_callback(conversation.id, conversation.operator)

    async def schedule_callback(self, conversation_id: str, operator: str) -> None:
        await self.calls.record_facts(conversation_id, callback="placing", operator=operator)
        await self.desk.ctx.jobs.enqueue_async(
            "channels.voice.jobs.place_callback_job", conversation_id, operator,
            queue="replies", retries=2)

    async def callback_answered(self, turn: CallTurn, lang: str, conversation_id: str,
                                operator: str) -> str:
        """The citizen picked up our callback: put them through to the operator."""
        out = await self.ivr.twiml(lang)
        conversation = await self.desk.store.get(conversation_id)
        await self.calls.start(turn.sid, caller=turn.caller, citizen=conversation.citizen,
                               lang=out.lang, direction="callback",
                               conversation=conversation_id)
        await self.calls.record_facts(conversation_id, callback="answered", call_sid=turn.sid)
        CALLBACKS.labels("answered").inc()
        address = await self.operator_address(operator)
        if not address:
            return str(out.text("trouble").hangup())
        await self.calls.update(turn.sid, stage=CallStage.BRIDGED, operator=operator)
        action = self.ivr.urls.url("dial-done", lang=out.lang, conversation=conversation_id,
                                   operator=operator)
        return str(out.text("callback_intro").text("connecting").dial(
            address, caller_id=self.adapter.caller_id, action=action))

    async def callback_status(self, turn: CallTurn, conversation_id: str) -> None:
        """The status of a callback call: not answered, try again (twice), then give up."""
        facts = await self.calls.facts(conversation_id)
        if turn.status not in MISSED or facts.get("callback") == "answered":
            return
        attempts = int(facts.get("callback_attempts") or 0)
        operator = facts.get("operator", "") or None
        try:
            if attempts < MAX_CALLBACK_ATTEMPTS:
                await self.calls.record_facts(conversation_id, callback="requested")
                await self.desk.requeue(conversation_id, operator, actor="router")
                await self.desk.assign()
            else:
                CALLBACKS.labels("failed").inc()
                await self.calls.record_facts(conversation_id, callback="failed",
                                              outcome="callback not answered")
                await self.desk.close(conversation_id, "router", wrap_up="callback-failed")
        except CrisisError:
            pass  # closed by an operator meanwhile
