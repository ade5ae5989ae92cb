"""A whole call: greeting -> spoken question answered -> menu 4 -> queue -> wait URL ->
an operator takes it from the console -> bridged to their phone -> talk time recorded; and a
callback offered, booked and placed by the worker."""

from __future__ import annotations

from typing import Any

import pytest

from channels.api import DESK
from channels.voice import CALL_DESK
from crisis.context import Context
from crisis.types import ChannelKind, ConversationStatus
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import until
from tests.channels.test_console_pages import become
from tests.channels.test_sms import run_worker_burst
from tests.channels.test_voice import HOOK, flood, gather_of  # noqa: F401 (fixture)
from tests.channels.voice_support import (
    CALLER, PUBLIC_URL, call_form, path_of, post_twiml, query, spoken,
)

OPERATOR_PHONE = "+33140000001"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL}


async def operator_with_phone(client: Any, ctx: Context, name: str) -> str:
    csrf = await become(client, ctx, name)
    response = await client.post("/console/voice-address", allow_redirects=False,
                                 data={"csrf_token": csrf, "address": "01 40 00 00 01"})
    assert response.status == 303
    return csrf


async def queued_call(client: Any, sid: str) -> Any:
    """A caller who asked a question, heard the answer, then pressed 4."""
    await post_twiml(client, HOOK, call_form(sid))
    ask = gather_of(await post_twiml(client, f"{HOOK}/menu?lang=fr",
                                     call_form(sid, Digits="3")))
    answer = await post_twiml(client, path_of(ask.get("action")), call_form(
        sid, SpeechResult="l'eau du robinet est-elle potable"))
    assert "contaminée" in spoken(answer)
    menu = gather_of(answer)
    root = await post_twiml(client, path_of(menu.get("action")), call_form(sid, Digits="4"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    return enqueue


async def test_an_operator_takes_the_call_from_the_console_and_it_is_bridged(
        kb: None, client: Any, ctx: Context, flood: str,  # noqa: F811
        twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    csrf = await operator_with_phone(client, ctx, "op1")
    enqueue = await queued_call(client, "CAwhole")
    desk = client.app[DESK]

    async def given() -> Any:
        state = await desk.router.operator("op1")
        return state if state.conversations else None

    state = await until(given)
    conversation_id = state.conversations[0]
    assert state.load == state.capacity  # a call takes the operator's whole capacity
    # While waiting, the caller hears where they are.
    wait = await post_twiml(client, path_of(enqueue.get("waitUrl")),
                            call_form("CAwhole", QueuePosition="1", QueueSid="QU1"))
    assert "position" in spoken(wait)
    page = await client.get(f"/console/c/{conversation_id}")
    html = await page.text()
    assert "Prendre l&#39;appel" in html or "Prendre l'appel" in html
    # No API key and TwiML App here: no answering in the browser, no Voice SDK loaded.
    assert "Répondre dans le navigateur" not in html and "twilio-voice-sdk" not in html
    response = await client.post(f"/console/c/{conversation_id}/take-call",
                                 allow_redirects=False, data={"csrf_token": csrf})
    assert response.status == 303, await response.text()
    # The REST API moved the waiting call to our bridge TwiML.
    update = standin.call_updates[-1]
    assert update["Sid"] == "CAwhole" and update["Method"] == "POST"
    assert path_of(update["Url"]).startswith(HOOK + "/bridge")
    bridge = await post_twiml(client, path_of(update["Url"]), call_form("CAwhole"))
    assert "relation avec un conseiller" in spoken(bridge)
    dial = bridge.find("Dial")
    assert dial is not None and dial.findtext("Number") == OPERATOR_PHONE
    exited = await post_twiml(client, path_of(enqueue.get("action")),
                              call_form("CAwhole", QueueResult="redirected", QueueTime="20"))
    assert spoken(exited) == ""
    done = await post_twiml(client, path_of(dial.get("action")), call_form(
        "CAwhole", DialCallStatus="completed", DialCallDuration="125"))
    assert done.find("Hangup") is not None
    facts = await client.app[CALL_DESK].calls.facts(conversation_id)
    assert facts["outcome"] == "answered" and facts["talk_s"] == "125"
    assert float(facts["wait_s"]) >= 0 and facts["operator"] == "op1"
    await post_twiml(client, f"{HOOK}/status", call_form("CAwhole", CallStatus="completed"))
    closed = await client.post(f"/console/c/{conversation_id}/close", allow_redirects=False,
                               data={"csrf_token": csrf, "wrap_up": "answered"})
    assert closed.status == 303
    conversation = await desk.store.get(conversation_id)
    assert conversation.status is ConversationStatus.CLOSED and conversation.wrap_up == "answered"
    situation = await client.app[CALL_DESK].ivr.situation()
    assert situation["bridged"] == 1 and situation["abandoned"] == 0
    assert situation["mean_talk_s"] == 125.0


async def test_a_missed_operator_puts_the_caller_back_in_the_queue(
        kb: None, client: Any, ctx: Context, flood: str) -> None:  # noqa: F811
    csrf = await operator_with_phone(client, ctx, "op1")
    await queued_call(client, "CAmiss")
    desk = client.app[DESK]

    async def given() -> list[str]:
        return list((await desk.router.operator("op1")).conversations)

    conversation_id = (await until(given))[0]
    await client.post(f"/console/c/{conversation_id}/take-call", allow_redirects=False,
                      data={"csrf_token": csrf})
    root = await post_twiml(client, f"{HOOK}/dial-done?lang=fr&conversation={conversation_id}"
                            "&operator=op1", call_form("CAmiss", DialCallStatus="no-answer"))
    assert "gardez votre place" in spoken(root)
    assert root.find("Enqueue") is not None


async def test_taking_a_call_without_a_phone_is_a_clear_error(
        kb: None, client: Any, ctx: Context, flood: str) -> None:  # noqa: F811
    csrf = await become(client, ctx, "op2")
    await queued_call(client, "CAnophone")
    desk = client.app[DESK]

    async def given() -> list[str]:
        return list((await desk.router.operator("op2")).conversations)

    conversation_id = (await until(given))[0]
    response = await client.post(f"/console/c/{conversation_id}/take-call",
                                 allow_redirects=False, data={"csrf_token": csrf})
    assert response.status == 400
    assert "phone" in (await response.text()).lower()
    bad = await client.post("/console/voice-address", allow_redirects=False,
                            data={"csrf_token": csrf, "address": "sip:not a sip"})
    assert bad.status == 400


async def test_a_booked_callback_is_placed_when_an_operator_is_free(
        kb: None, client: Any, ctx: Context, flood: str,  # noqa: F811
        env: dict[str, str], twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    ivr = client.app[CALL_DESK].ivr
    ivr.settings = type(ivr.settings)(**{**ivr.settings.__dict__, "voice_callback_wait_s": 1})
    enqueue = await queued_call(client, "CAcall")
    offer = gather_of(await post_twiml(client, path_of(enqueue.get("waitUrl")),
                                       call_form("CAcall")))
    await post_twiml(client, path_of(offer.get("action")), call_form("CAcall", Digits="1"))
    await post_twiml(client, path_of(enqueue.get("action")),
                     call_form("CAcall", QueueResult="leave"))
    await post_twiml(client, f"{HOOK}/status", call_form("CAcall", CallStatus="completed"))
    # Later, an operator with a phone becomes free: the router gives them the callback.
    await operator_with_phone(client, ctx, "op3")
    desk = client.app[DESK]
    items, _, _ = await desk.store.page(status=None, channel=ChannelKind.VOICE, limit=5,
                                        cursor=None)
    conversation_id = items[0].id

    async def placing() -> bool:
        facts = await client.app[CALL_DESK].calls.facts(conversation_id)
        return facts.get("callback") == "placing"

    await until(placing)
    await run_worker_burst(env)
    assert standin.calls, "the worker placed no call"
    placed = standin.calls[-1]
    assert placed["To"] == CALLER and placed["From"] == "+33700000000"
    assert query(placed["Url"])["conversation"] == conversation_id
    assert path_of(placed["StatusCallback"]).startswith(HOOK + "/status")
    facts = await client.app[CALL_DESK].calls.facts(conversation_id)
    assert facts["callback"] == "placed" and facts["callback_attempts"] == "1"
    # The citizen answers: they are put through to the operator.
    answered = await post_twiml(client, path_of(placed["Url"]), {
        **call_form(placed["Sid"], Direction="outbound-api", From="+33700000000", To=CALLER)})
    assert "demandé à être rappelé" in spoken(answered)
    dial = answered.find("Dial")
    assert dial is not None and dial.findtext("Number") == OPERATOR_PHONE
