"""Pulse questions end to end: the cell sends one over HTTP to a sample of SMS and Telegram
subscribers, a real `crisis worker` sends it through the broadcasts (Twilio and Telegram
stand-ins), citizens reply through the real webhooks; answers are counted once per sampled
citizen with their margins, the rest reaches the desk as before; the form's bad input."""

from __future__ import annotations

import math
from typing import Any

import pytest

from channels.addresses import citizen_id
from channels.alerts.pulses import Pulses
from channels.api import DESK
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.survey_margin import margin_of_error
from crisis.types import ConversationStatus, Role
from testbed.telegram import TelegramStandIn, message_update, webhook_headers
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import signed, sms_form
from tests.channels.test_alert_cell_pages import text_of
from tests.channels.test_sms import run_worker_burst
from tests.conftest import bearer
from tests.support.polling import until

SECRET = "pulse-secret"
QUESTION = "Avez-vous reçu la consigne d'évacuation ?"
SMS_TEXT = ("Sondage du Service d'information du Gouvernement : Avez-vous reçu la consigne "
            "d'évacuation ? Répondez 1 pour oui, 2 pour non. (STOP pour ne plus recevoir "
            "d'alertes)")
SMS_SUBSCRIBERS = [f"+336100000{n:02d}" for n in range(30)]
TELEGRAM_SUBSCRIBERS = [str(7000 + n) for n in range(10)]


@pytest.fixture
def env(env: dict[str, str], telegram: TelegramStandIn) -> dict[str, str]:
    return {**env, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": telegram.base}


def form(**fields: str) -> dict[str, Any]:
    base = {"question": QUESTION, "option1": "oui", "option2": "non", "areas": "75",
            "sample_size": "20", "minutes": "120", "channel": ["sms", "telegram"]}
    base.update(fields)
    return base


def _body(fields: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        for item in (value if isinstance(value, list) else [value]):
            pairs.append((key, item))
    return pairs


async def _sms(client: Any, text: str, sid: str, sender: str) -> None:
    headers, body = signed("/hooks/twilio/sms", sms_form(text, sid, sender=sender))
    assert (await client.post("/hooks/twilio/sms", data=body, headers=headers)).status == 200


async def _telegram(client: Any, chat: str, text: str) -> None:
    response = await client.post("/hooks/telegram", json=message_update(int(chat), text),
                                 headers=webhook_headers(SECRET))
    assert response.status == 200


async def _subscribe(client: Any) -> None:
    alerts = client.app[DESK].alerts
    for address in SMS_SUBSCRIBERS:
        await alerts.subscribe("sms", address, ("75",), source="test")
    for chat in TELEGRAM_SUBSCRIBERS:
        await alerts.subscribe("telegram", chat, ("75", "92"), source="test")
    for n in range(5):  # outside the scope: never asked
        await alerts.subscribe("sms", f"+336200000{n:02d}", ("13",), source="test")


async def _status_of(ctx: Context, channel: str, address: str) -> ConversationStatus:
    keys = ChannelKeys(ctx.keys)
    conversation_id = await ctx.redis.get(keys.address(channel, citizen_id(ctx.secret, address)))
    assert conversation_id, f"no conversation for {address}"
    return (await ctx.redis.hget(keys.conversation(conversation_id), "status")) or ""


async def _handled(ctx: Context, address: str) -> str:
    """The status of the citizen's conversation once the desk has decided (no longer new)."""
    keys = ChannelKeys(ctx.keys)
    conversation_id = await ctx.redis.get(keys.address("sms", citizen_id(ctx.secret, address)))
    if not conversation_id:
        return ""
    status = await ctx.redis.hget(keys.conversation(conversation_id), "status")
    return "" if status in (None, ConversationStatus.NEW) else str(status)


async def test_a_pulse_is_sent_to_its_sample_and_answers_are_counted_once(
        client: Any, ctx: Context, env: dict[str, str], twilio: tuple[TwilioStandIn, str],
        telegram: TelegramStandIn) -> None:
    standin, _ = twilio
    await _subscribe(client)
    headers = await bearer(ctx, "cellule", Role.CELL)
    response = await client.post("/cell/pulses", data=_body(form(sample_size="30")),
                                 headers=headers, allow_redirects=False)
    assert response.status == 303, text_of(await response.text())[:2000]
    # 30 of the 40 in scope: both channels are drawn, and some SMS subscribers are not.
    pulse_id = response.headers["Location"].split("/")[-1].split("?")[0]
    await run_worker_burst(env)

    keys = ChannelKeys(ctx.keys)
    sampled_sms = {str(c) for c in await ctx.redis.smembers(keys.pulse_sample(pulse_id, "sms"))}
    sampled_tg = {str(c) for c in await ctx.redis.smembers(
        keys.pulse_sample(pulse_id, "telegram"))}
    assert len(sampled_sms) + len(sampled_tg) == 30
    # Exactly the sample size, to distinct sampled subscribers, none outside the scope.
    sms_to = [m["To"] for m in standin.messages]
    tg_to = [str(m["chat"]["id"]) for m in telegram.messages]
    assert len(sms_to) + len(tg_to) == 30
    assert len(set(sms_to)) == len(sms_to) and len(set(tg_to)) == len(tg_to)
    assert {citizen_id(ctx.secret, a) for a in sms_to} == sampled_sms
    assert {citizen_id(ctx.secret, a) for a in tg_to} == sampled_tg
    assert set(sms_to) <= set(SMS_SUBSCRIBERS)
    assert all(m["Body"] == SMS_TEXT for m in standin.messages)
    assert all(m["text"] == SMS_TEXT.replace("(STOP", "(/stop") for m in telegram.messages)

    drawn = sorted(sms_to)
    outside = sorted(set(SMS_SUBSCRIBERS) - set(sms_to))
    assert drawn and outside and tg_to
    standin.messages.clear()
    telegram.messages.clear()
    await _sms(client, "1", "SMp1", drawn[0])
    await _sms(client, " 2. ", "SMp2", drawn[0])  # changed: the last answer wins
    await _sms(client, "2", "SMp3", drawn[0])  # the same again: still one answer
    await _sms(client, "1", "SMp4", drawn[1])
    await _telegram(client, tg_to[0], "2")
    await _sms(client, "1", "SMp5", outside[0])  # not drawn: not counted
    await _sms(client, "Je n'ai rien reçu, où aller ?", "SMp6", drawn[-1])  # to the desk
    pulses = Pulses(ctx.redis, keys)
    expected = {"1": 1, "2": 2}

    async def counted() -> bool:
        results = await pulses.results(pulse_id)
        return [o["answers"] for o in results["options"]] == [expected["1"], expected["2"]]
    await until(counted)
    assert await _status_of(ctx, "sms", drawn[0]) == ConversationStatus.AUTO_ANSWERED
    # Another conversation: handled concurrently, maybe after the counts are in.
    await until(lambda: _status_of(ctx, "sms", drawn[-1]),
                ok=lambda status: status == ConversationStatus.QUEUED)
    await until(lambda: _handled(ctx, outside[0]))
    await run_worker_burst(env)  # the replies
    thanked = [m["To"] for m in standin.messages if m["Body"].startswith("Merci, votre réponse")]
    assert outside[0] not in thanked and drawn[-1] not in thanked
    assert thanked.count(drawn[0]) == 3
    assert any(m["text"].startswith("Merci, votre réponse") for m in telegram.messages)

    results = await pulses.results(pulse_id)
    n = results["answers"]
    assert n == sum(expected.values())
    assert results["population"] == 40 and results["drawn"] == 30 and results["sent"] == 30
    assert results["response_rate"] == round(n / 30, 4)
    share = expected["2"] / n
    formula = 1.96 * math.sqrt(share * (1 - share) / n) * math.sqrt((40 - n) / (40 - 1))
    assert results["options"][1]["margin"] == pytest.approx(formula, abs=1e-4)
    page = text_of(await (await client.get(f"/cell/pulses/{pulse_id}", headers=headers)).text())
    assert f"{n} réponses, taux de réponse" in page
    assert "30 tirés sur 40 abonnés (demandés : 30)" in page

    # Closed: a drawn citizen's "1" now goes to the desk, and is not counted.
    closing = await client.post(f"/cell/pulses/{pulse_id}/close", headers=headers,
                                allow_redirects=False)
    assert closing.status == 303
    late = drawn[2]
    await _sms(client, "1", "SMp7", late)
    # The desk decided (the conversation left "new") and did not count it.
    await until(lambda: _handled(ctx, late))
    assert (await pulses.results(pulse_id))["answers"] == n
    assert (await pulses.results(pulse_id))["state"] == "closed"

    situation = await (await client.get("/api/situation", headers=headers)).json()
    sections = situation.get("sections", situation)
    [listed, *_] = sections["pulses"]["pulses"]
    assert listed["id"] == pulse_id and listed["answers"] == n


@pytest.mark.parametrize(("fields", "says"), [
    ({"question": "  "}, "écrivez la question."),
    ({"option2": ""}, "donnez de 2 à 5 réponses (vous en avez donné 1)."),
    ({"option3": "c", "option4": "d", "option5": "e", "option6": "f"},
     "donnez de 2 à 5 réponses (vous en avez donné 6)."),
    ({"sample_size": "0"}, "la taille de l'échantillon est un nombre entier de 1 à 100 000."),
    ({"sample_size": "beaucoup"}, "un nombre entier de 1 à 100 000."),
    ({"areas": "75 99"}, "département inconnu : 99"),
    ({"channel": []}, "choisissez au moins un canal : SMS ou Telegram."),
    ({"channel": ["email"]}, "choisissez au moins un canal"),
    ({"minutes": "99999"}, "la durée va de 10 à 2880 minutes."),
    ({"areas": "2B"}, "aucun abonné dans ce périmètre sur ces canaux."),
    ({"question": "x" * 5000}, "la question dépasse 300 caractères."),
])
async def test_bad_input_is_refused_with_a_clear_reason(
        client: Any, ctx: Context, fields: dict[str, Any], says: str) -> None:
    await _subscribe(client)
    headers = await bearer(ctx, "cellule", Role.CELL)
    response = await client.post("/cell/pulses", data=_body(form(**fields)), headers=headers,
                                 allow_redirects=False)
    assert response.status == 400
    assert says in text_of(await response.text())
    assert not await Pulses(ctx.redis, ChannelKeys(ctx.keys)).recent()


async def test_a_sample_larger_than_the_scope_takes_everyone_and_says_so(
        client: Any, ctx: Context) -> None:
    await _subscribe(client)
    headers = await bearer(ctx, "cellule", Role.CELL)
    response = await client.post("/cell/pulses", data=_body(form(sample_size="1000")),
                                 headers=headers, allow_redirects=False)
    assert response.status == 303
    page = text_of(await (await client.get(response.headers["Location"], headers=headers)).text())
    assert "Vous demandiez 1 000 personnes : les 40 abonnés du périmètre ont tous été tirés." in page


async def test_supervisors_read_the_results_and_only_the_cell_sends(
        client: Any, ctx: Context) -> None:
    await _subscribe(client)
    supervisor = await bearer(ctx, "chef", Role.SUPERVISOR)
    assert (await client.post("/cell/pulses", data=_body(form()), headers=supervisor,
                              allow_redirects=False)).status == 403
    listing = await client.get("/cell/pulses", headers=supervisor)
    assert listing.status == 200
    assert "Nouveau sondage" not in text_of(await listing.text())
    assert (await client.get("/cell/pulses/p-nothing", headers=supervisor)).status == 404


def test_the_margin_is_the_simple_random_sample_formula_with_the_finite_population() -> None:
    assert margin_of_error(0.5, 1000) == pytest.approx(1.96 * math.sqrt(0.25 / 1000))
    assert margin_of_error(0.3, 400, 10_000) == pytest.approx(
        1.96 * math.sqrt(0.21 / 400) * math.sqrt(9600 / 9999))
    assert margin_of_error(0.4, 50, 50) == 0.0  # everyone answered: no sampling error
    assert margin_of_error(0.4, 0, 50) == 0.0
