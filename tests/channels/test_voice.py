"""The telephone end to end over real HTTP: signed Twilio Voice webhooks, TwiML parsed and
checked, the desk deciding on spoken questions, the queue, abandoned calls."""

from __future__ import annotations

from typing import Any

import pytest

from channels.api import DESK
from channels.voice import CALL_DESK
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import ChannelKind, ConversationStatus, Direction, Role
from tests.channels.conftest import CELL, until
from tests.conftest import bearer
from tests.channels.voice_support import (
    PUBLIC_URL, call_form, path_of, post_twiml, query, signed, spoken,
)

HOOK = "/hooks/twilio/voice"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
async def flood(client: Any, ctx: Context) -> str:
    """A live flood crisis whose greeting the channels have switched to."""
    crisis = await activate_scenario(ctx.crises, ctx.publications, "inondation", areas="75",
                                     level=2, actor=CELL)

    async def greeted() -> bool:
        return bool(await ctx.redis.hlen(client.app[DESK].k.greetings))

    await until(greeted)
    client.app[CALL_DESK].ivr.content.invalidate()
    return crisis.id


def gather_of(root: Any) -> Any:
    gathers = list(root.iter("Gather"))
    assert gathers, "no Gather in the TwiML"
    return gathers[0]


async def test_a_call_without_a_valid_signature_is_refused(client: Any) -> None:
    headers, form = signed(HOOK, call_form("CA1"))
    forged = await client.post(HOOK, data={**form, "From": "+33600000000"}, headers=headers)
    assert forged.status == 403
    assert (await client.post(HOOK, data=form)).status == 403
    assert (await client.post(HOOK + "/wait", data=form)).status == 403


async def test_a_caller_hears_the_crisis_greeting_the_instructions_and_the_menu(
        client: Any, flood: str) -> None:
    root = await post_twiml(client, HOOK, call_form("CAgreet"))
    says = list(root.iter("Say"))[:-1]  # the last one offers English, in English
    assert says and all(s.get("language") == "fr-FR" and s.get("voice") == "Polly.Lea"
                        for s in says)
    text = spoken(root)
    assert "inondations en cours" in text  # the scenario's greeting
    assert "cent douze" in text and "112" not in text  # numbers as words
    assert "Voici les consignes en vigueur" in text
    assert "http" not in text and "*" not in text
    gather = gather_of(root)
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "fr-FR"
    assert gather.get("numDigits") == "1"
    assert path_of(gather.get("action")).startswith(HOOK + "/menu")
    assert "tapez quatre" in spoken(gather)  # the scenario's menu, inside the Gather
    switch = list(gather.iter("Say"))[-1]  # "press 9" said in English, with its voice
    assert switch.get("language") == "en-GB" and switch.get("voice") == "Polly.Amy"
    assert "press nine" in (switch.text or "")
    # Silence: the menu comes back (a Redirect to the menu), never a dead line.
    redirect = root.find("Redirect")
    assert redirect is not None and query(redirect.text or "")["silent"] == "1"


async def test_nine_switches_to_english(client: Any, flood: str) -> None:
    await post_twiml(client, HOOK, call_form("CAen"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAen", Digits="9"))
    assert {s.get("language") for s in list(root.iter("Say"))[:-1]} == {"en-GB"}
    assert "press four" in spoken(root)
    assert query(gather_of(root).get("action"))["lang"] == "en"


async def test_a_spoken_question_is_answered_from_the_knowledge_base_and_recorded(
        kb: None, client: Any, flood: str) -> None:
    await post_twiml(client, HOOK, call_form("CAq"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAq", Digits="3"))
    ask = gather_of(root)
    assert ask.get("input") == "speech" and ask.get("language") == "fr-FR"
    form = call_form("CAq", SpeechResult="est-ce que l'eau du robinet est potable",
                     Confidence="0.91")
    answer = await post_twiml(client, path_of(ask.get("action")), form)
    text = spoken(answer)
    assert "contaminée" in text  # the validated answer about tap water, read out
    assert "**" not in text and "http" not in text and "répondez 0" not in text
    menu = gather_of(answer)
    assert query(menu.get("action"))["answer"].startswith("m")  # 2 = this answer by SMS
    # Recorded like an SMS: a voice conversation with the question and the answer.
    store = client.app[DESK].store
    items, _, _ = await store.page(status=None, channel=ChannelKind.VOICE, limit=5, cursor=None)
    assert len(items) == 1 and items[0].status is ConversationStatus.AUTO_ANSWERED
    messages = await store.messages(items[0].id)
    assert messages[0].direction is Direction.INBOUND and "robinet" in messages[0].text
    assert any(m.article_id for m in messages if m.direction is Direction.OUTBOUND)


async def test_pressing_4_queues_the_caller_in_a_twilio_queue_of_their_skill(
        kb: None, client: Any, flood: str) -> None:
    await post_twiml(client, HOOK, call_form("CAp"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAp", Digits="4"))
    assert "position un" in spoken(root)
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "crisis-fr-voice"
    assert path_of(enqueue.get("waitUrl")).startswith(HOOK + "/wait")
    assert path_of(enqueue.get("action")).startswith(HOOK + "/queue-exit")
    store = client.app[DESK].store
    items, _, _ = await store.page(status="queued", channel=ChannelKind.VOICE, limit=5,
                                   cursor=None)
    assert len(items) == 1  # the call is a conversation in the queue the console shows
    # Twilio's wait URL: the position and the wait, then a pause of 30 to 60 s.
    wait = await post_twiml(client, path_of(enqueue.get("waitUrl")), call_form(
        "CAp", QueuePosition="1", QueueSid="QU1", QueueTime="12", AvgQueueTime="0",
        CurrentQueueSize="1"))
    assert "position un" in spoken(wait) and "minute" in spoken(wait)
    pause = wait.find("Pause")
    assert pause is not None and 30 <= int(pause.get("length") or 0) <= 60


async def test_wait_rounds_say_an_operators_words_once_and_the_instructions_every_other(
        kb: None, client: Any, flood: str) -> None:
    """The wait round reads and takes the call's state in one script and shares its TwiML
    with every caller told the same figures: what is personal must still be said once."""
    await post_twiml(client, HOOK, call_form("CAw"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAw", Digits="4"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    wait_path = path_of(enqueue.get("waitUrl") or "")
    form = call_form("CAw", QueuePosition="1", QueueSid="QUw", QueueTime="5")
    first = await post_twiml(client, wait_path, form)
    assert "position un" in spoken(first) and "consignes en vigueur" not in spoken(first)
    calls = client.app[CALL_DESK].calls
    await calls.say_later("CAw", {"id": "m1", "text": "Un conseiller lit votre question."})
    second = await post_twiml(client, wait_path, form)
    assert "conseiller lit votre question" in spoken(second)
    assert "position" not in spoken(second)  # the operator's words instead of the figures
    assert "consignes en vigueur" in spoken(second)  # every other round
    third = await post_twiml(client, wait_path, form)
    assert "conseiller lit" not in spoken(third) and "position un" in spoken(third)
    assert spoken(third) == spoken(first)  # the same shared answer, as built the first time
    assert (await calls.get("CAw"))["queue_sid"] == "QUw"
    # Another caller at the same place hears the same; at another place, their own.
    await post_twiml(client, HOOK, call_form("CAw2"))
    other = await post_twiml(client, wait_path, call_form("CAw2", QueuePosition="7"))
    assert "position sept" in spoken(other)
    # Read again and unchanged, the content is the same object: the shared TwiML stays.
    content = client.app[CALL_DESK].ivr.content
    before = await content.get()
    content.invalidate()
    assert await content.get() is before


async def test_a_long_wait_offers_a_callback_and_pressing_1_books_it(
        kb: None, client: Any, ctx: Context, flood: str) -> None:
    ivr = client.app[CALL_DESK].ivr
    ivr.settings = type(ivr.settings)(**{**ivr.settings.__dict__, "voice_callback_wait_s": 1})
    await post_twiml(client, HOOK, call_form("CAcb"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAcb", Digits="4"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    wait = await post_twiml(client, path_of(enqueue.get("waitUrl")), call_form("CAcb"))
    offer = gather_of(wait)
    assert "tapez un" in spoken(offer)
    leave = await post_twiml(client, path_of(offer.get("action")), call_form("CAcb", Digits="1"))
    assert leave.find("Leave") is not None
    done = await post_twiml(client, path_of(enqueue.get("action")), call_form(
        "CAcb", QueueResult="leave", QueueTime="40"))
    assert "rappellera" in spoken(done) and done.find("Hangup") is not None
    desk = client.app[DESK]
    items, _, _ = await desk.store.page(status="queued", channel=ChannelKind.VOICE, limit=5,
                                        cursor=None)
    facts = await client.app[CALL_DESK].calls.facts(items[0].id)
    assert facts["callback"] == "requested"  # keeps its place in the queue


async def test_a_caller_who_hangs_up_in_the_queue_is_counted_as_abandoned(
        kb: None, client: Any, ctx: Context, flood: str) -> None:
    await post_twiml(client, HOOK, call_form("CAab"))
    root = await post_twiml(client, f"{HOOK}/menu?lang=fr", call_form("CAab", Digits="4"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    await post_twiml(client, path_of(enqueue.get("action")), call_form(
        "CAab", QueueResult="hangup", QueueTime="95"))
    # Twilio also sends the call's status callback: counted once.
    await post_twiml(client, f"{HOOK}/status", call_form("CAab", CallStatus="completed",
                                                         CallDuration="130"))
    situation = await client.app[CALL_DESK].ivr.situation()
    assert situation["abandoned"] == 1 and situation["mean_abandoned_wait_s"] == 95.0
    store = client.app[DESK].store
    items, _, _ = await store.page(status="closed", channel=ChannelKind.VOICE, limit=5,
                                   cursor=None)
    assert len(items) == 1 and items[0].wrap_up == "abandoned"
    metrics = await (await client.get("/metrics")).text()
    assert "crisis_calls_abandoned_total" in metrics
    assert "crisis_call_abandoned_wait_seconds_bucket" in metrics


async def test_answering_in_the_browser_is_off_without_its_settings(client: Any,
                                                                    ctx: Context) -> None:
    """No TWILIO_API_KEY_SID / _SECRET / TWILIO_TWIML_APP_SID here: the token route says what
    is missing, and an operator cannot register their browser for calls."""
    headers = await bearer(ctx, "op", Role.OPERATOR)
    response = await client.get("/api/voice/token", headers=headers)
    assert response.status == 404
    assert "TWILIO_TWIML_APP_SID" in (await response.json())["error"]["message"]
    with pytest.raises(InvalidInput, match="not configured"):
        await client.app[CALL_DESK].set_operator_address("op", "client:op")


async def test_bad_query_parameters_are_a_clear_error(client: Any) -> None:
    headers, form = signed(f"{HOOK}/menu?silent=abc", call_form("CAbad", Digits="1"))
    response = await client.post(f"{HOOK}/menu?silent=abc", data=form, headers=headers)
    assert response.status == 400


async def test_the_cell_replaces_the_greeting_and_menu_of_its_crisis(
        client: Any, ctx: Context, flood: str) -> None:
    headers = await bearer(ctx, "cellule", Role.CELL)
    response = await client.put(f"/api/voice/ivr/{flood}", headers=headers, json={
        "greeting_fr": "Bonjour, cellule de crise de Paris. Danger : appelez le 112.",
        "voice": "Polly.Remi"})
    assert response.status == 200, await response.text()
    bad = await client.put(f"/api/voice/ivr/{flood}", headers=headers,
                           json={"audio_url": "http://insecure.example/a.mp3"})
    assert bad.status == 400
    operator = await bearer(ctx, "op", Role.OPERATOR)
    assert (await client.put(f"/api/voice/ivr/{flood}", headers=operator, json={})).status == 403
    root = await post_twiml(client, HOOK, call_form("CAcell"))
    first = next(root.iter("Say"))
    assert first.text == "Bonjour, cellule de crise de Paris. Danger: appelez le cent douze."
    assert first.get("voice") == "Polly.Remi"
    assert "tapez quatre" in spoken(root)  # the scenario's menu is kept


async def test_queues_are_created_sized_and_read_through_the_real_twilio_client(
        settings: Any, twilio: tuple[Any, str]) -> None:
    import asyncio

    from channels.voice.adapter import TwilioVoice
    from crisis.errors import ChannelError
    standin, _ = twilio
    adapter = TwilioVoice(settings)
    sid = await asyncio.to_thread(adapter.ensure_queue, "crisis-fr-voice", 1000)
    assert standin.queues[sid]["max_size"] == 1000
    standin.queues[sid]["max_size"] = 100  # as `<Enqueue>` alone would have made it
    assert await asyncio.to_thread(adapter.ensure_queue, "crisis-fr-voice", 1000) == sid
    assert standin.queues[sid]["max_size"] == 1000 and len(standin.queues) == 1
    standin.enqueue_member("crisis-fr-voice", "CAwaiting")
    members = await asyncio.to_thread(adapter.client.queues(sid).members.list)
    assert [m.call_sid for m in members] == ["CAwaiting"] and members[0].position == 1
    standin.fail_next.append(503)
    with pytest.raises(ChannelError) as busy:
        await asyncio.to_thread(adapter.redirect_call, "CAwaiting", PUBLIC_URL + HOOK)
    assert busy.value.retryable
    await asyncio.to_thread(adapter.redirect_call, "CAwaiting", PUBLIC_URL + HOOK + "/bridge")
    assert standin.call_updates[-1]["Url"].endswith("/bridge")
    assert standin.members[sid] == []  # redirected out of the queue


async def test_the_situation_view_counts_calls(client: Any, ctx: Context, flood: str) -> None:
    await post_twiml(client, HOOK, call_form("CAsit"))
    response = await client.get("/api/situation", headers=await bearer(ctx, "c", Role.CELL))
    assert response.status == 200
    telephone = (await response.json())["telephone"]
    assert telephone["calls"] == 1 and telephone["abandoned"] == 0
