"""The SMS channel end to end: signed webhooks, dedupe, auto-answer, outbound through Twilio."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

import pytest
from channels import store as store_module
from channels import SWEEP_INTERVAL_S
from channels.api import DESK
from channels.messages import say
from crisis.app import build_app
from crisis.context import Context
from crisis.settings import load_settings
from crisis.types import ConversationStatus, DeliveryStatus, Direction
from knowledge_base.article import SMS_MAX_SEPTETS, gsm7_septets, parse_article_lines
from knowledge_base.importing import import_articles
from knowledge_base.store import ArticleStore
from knowledge_base.tooling.calibration_sets import DATA
from testbed.twilio import TwilioStandIn
from tests.channels.conftest import signed, sms_form, stall_a_group, until
from tests.conftest import ADMIN


async def auto_answered(store: Any) -> list[Any]:
    """The auto-answered conversations (the pipeline runs after the webhook: poll with until)."""
    items, _, _ = await store.page(status=ConversationStatus.AUTO_ANSWERED.value,
                                   channel=None, limit=5, cursor=None)
    return list(items)


async def test_forged_or_missing_signature_is_403(client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("bonjour", "SM1"))
    forged = await client.post("/hooks/twilio/sms", data={**form, "Body": "changed"},
                               headers=headers)
    assert forged.status == 403
    missing = await client.post("/hooks/twilio/sms", data=form)
    assert missing.status == 403


async def test_a_retried_message_is_stored_once(kb: None, client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("ou trouver de l eau potable", "SM42"))
    for _ in range(3):
        response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
        assert response.status == 200
        assert "<Response></Response>" in await response.text()
    store = client.app[DESK].store
    items, total, _ = await store.page(status=None, channel=None, limit=10, cursor=None)
    assert total == 1
    inbound = [m for m in await store.messages(items[0].id) if m.direction is Direction.INBOUND]
    assert len(inbound) == 1


async def test_a_common_question_gets_an_automatic_answer_by_sms(
    kb: None, client: Any, env: dict[str, str],
    twilio: tuple[TwilioStandIn, str],
) -> None:
    standin, _ = twilio
    headers, form = signed("/hooks/twilio/sms", sms_form("leau du robinet est potable ?", "SM7"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    store = client.app[DESK].store

    conversation = (await until(lambda: auto_answered(store)))[0]
    outbound = [m for m in await store.messages(conversation.id)
                if m.direction is Direction.OUTBOUND]
    assert outbound and outbound[0].article_id and "répondez 0" in outbound[0].text
    await run_worker_burst(env)
    assert standin.messages and standin.messages[0]["To"] == "+33612345678"
    body = standin.messages[0]["Body"]
    assert body == outbound[0].text
    # The article is Markdown ("**peut être contaminée**"); the SMS is plain text that fits
    # three segments, and ends with the SMS's own instruction.
    assert "peut etre contaminée par la crue" in body  # GSM-7 has é, not ê
    assert not re.search(r"[*_`#]|\]\(|^\s*- ", body, re.MULTILINE), body
    septets = gsm7_septets(body)
    assert septets is not None and septets <= SMS_MAX_SEPTETS
    assert body.endswith("Pour parler à un conseiller, répondez 0.")
    sent = [m for m in await store.messages(conversation.id) if m.direction is Direction.OUTBOUND]
    assert sent[0].status.value == "sent" and sent[0].provider_id.startswith("SM")
    # Twilio's delivery receipt lands on the message.
    headers, receipt = signed("/hooks/twilio/sms/status", {
        "MessageSid": sent[0].provider_id, "MessageStatus": "delivered", "AccountSid": "AC"})
    assert (await client.post("/hooks/twilio/sms/status", data=receipt, headers=headers)).status == 200
    delivered = [m for m in await store.messages(conversation.id) if m.direction is Direction.OUTBOUND]
    assert delivered[0].status.value == "delivered"


async def test_a_tourists_english_sms_is_answered_from_the_english_article(
        kb: None, client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("hi, is the tap water ok to drink here?", "SM8"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    store = client.app[DESK].store

    conversation = (await until(lambda: auto_answered(store)))[0]
    assert conversation.lang == "en"
    [reply] = [m for m in await store.messages(conversation.id) if m.direction is Direction.OUTBOUND]
    assert reply.article_id == "drinking-water-en" and "bottled water" in reply.text
    # A French SMS with an English word in it stays French.
    headers, form = signed("/hooks/twilio/sms", sms_form("le camping est ok ? on peut boire l'eau ?", "SM10",
                                                         sender="+33612345670"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)

    async def french() -> Any:
        items, _, _ = await store.page(status=None, channel=None, limit=5, cursor=None)
        return [c for c in items if c.id != conversation.id]

    assert (await until(french))[0].lang == "fr"


@pytest.fixture
async def french_kb(ctx: Context) -> None:
    """The flood articles without their English twins (imported before the app starts)."""
    french = [a for a in parse_article_lines(
        (DATA / "kb-inondation.jsonl").read_text(encoding="utf-8").splitlines()) if a.lang == "fr"]
    await import_articles(ArticleStore(ctx.redis, ctx.keys, ctx.bus), french, actor=ADMIN)


async def test_an_english_sms_at_a_centre_with_french_articles_only_says_the_answer_is_in_french(
        french_kb: None, client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("is the school closed tomorrow", "SM11"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    store = client.app[DESK].store

    conversation = (await until(lambda: auto_answered(store)))[0]
    [reply] = [m for m in await store.messages(conversation.id) if m.direction is Direction.OUTBOUND]
    assert conversation.lang == "en" and reply.article_id == "ecoles-fermees"
    assert reply.text.startswith("This answer is only available in French: ")
    assert reply.text.endswith("To talk to an adviser, reply 0.")


async def test_asking_for_a_person_queues_and_says_the_position(kb: None, client: Any) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form("je voudrais parler a un humain", "SM9"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    store = client.app[DESK].store

    async def told_the_position() -> bool:
        # The conversation turns `queued` before the position message is recorded: wait for both.
        items, _, _ = await store.page(status="queued", channel=None, limit=5, cursor=None)
        return bool(items) and any("position 1" in m.text
                                   for m in await store.messages(items[0].id))

    await until(told_the_position)


async def test_stop_opts_out_and_nothing_more_is_sent(
    kb: None, client: Any, ctx: Context, env: dict[str, str],
    twilio: tuple[TwilioStandIn, str],
) -> None:
    standin, _ = twilio
    headers, form = signed("/hooks/twilio/sms", sms_form("STOP", "SM10"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    desk = client.app[DESK]

    async def opted_out() -> bool:
        return bool(await ctx.redis.scard(desk.k.optout))

    await until(opted_out)
    headers, form = signed("/hooks/twilio/sms", sms_form("leau est potable ?", "SM11"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)

    await until(lambda: auto_answered(desk.store))
    await run_worker_burst(env)
    # STOP is honoured by every outbound path; Twilio confirmed the STOP itself (its
    # standard filtering: TWILIO_KEYWORD_REPLIES=english), so the centre sent nothing.
    assert standin.messages == []


async def _closed(client: Any, count: int) -> list[Any]:
    store = client.app[DESK].store

    async def closed() -> list[Any]:
        items, _, _ = await store.page(status="closed", channel=None, limit=10, cursor=None)
        return list(items)
    return await until(closed, ok=lambda items: len(items) >= count)


async def test_arret_is_confirmed_by_the_centre_and_nothing_more_is_sent(
    kb: None, client: Any, env: dict[str, str], twilio: tuple[TwilioStandIn, str],
) -> None:
    """Twilio does not know the French word: the centre confirms it, and that one message
    reaches the citizen although they opted out; the next answers do not."""
    standin, _ = twilio
    headers, form = signed("/hooks/twilio/sms", sms_form("ARRÊT", "SM20"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    stopped = (await _closed(client, 1))[0]
    headers, form = signed("/hooks/twilio/sms", sms_form("leau du robinet est potable ?", "SM21"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    store = client.app[DESK].store

    later = (await until(lambda: auto_answered(store)))[0]
    await run_worker_burst(env)
    assert [(m["To"], m["Body"]) for m in standin.messages] == \
        [("+33612345678", say("opt_out", "fr"))]
    confirmation = [m for m in await store.messages(stopped.id)
                    if m.direction is Direction.OUTBOUND]
    assert [(m.text, m.status) for m in confirmation] == \
        [(say("opt_out", "fr"), DeliveryStatus.SENT)]
    refused = [m for m in await store.messages(later.id) if m.direction is Direction.OUTBOUND]
    assert refused and all(m.status is DeliveryStatus.FAILED for m in refused)


async def test_without_twilios_keyword_handling_the_centre_confirms_stop_and_start(
    kb: None, aiohttp_client: Any, env: dict[str, str], redis_url: str,
    twilio: tuple[TwilioStandIn, str],
) -> None:
    standin, _ = twilio
    settings = load_settings({**env, "TWILIO_KEYWORD_REPLIES": "none"})
    client = await aiohttp_client(build_app(settings, redis_url))
    headers, form = signed("/hooks/twilio/sms", sms_form("Stop", "SM30"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    await _closed(client, 1)
    await run_worker_burst(env)  # sent while the number is opted out
    assert [m["Body"] for m in standin.messages] == [say("opt_out", "fr")]
    headers, form = signed("/hooks/twilio/sms", sms_form("START", "SM31"))
    await client.post("/hooks/twilio/sms", data=form, headers=headers)
    await _closed(client, 2)
    await run_worker_burst(env)
    assert [m["Body"] for m in standin.messages] == [say("opt_out", "fr"), say("opt_in", "fr")]


async def test_the_reply_worker_keeps_its_provider_connections_between_batches(
    kb: None, client: Any, env: dict[str, str], twilio: tuple[TwilioStandIn, str],
) -> None:
    """A running `crisis worker` sends replies as they come, with its Twilio client and
    Redis pool built once (channels/reply_consumer.py): the SMS of a later batch come on
    connections the first batch opened, not on new ones."""
    standin, _ = twilio
    store = client.app[DESK].store

    async def post(first: int) -> None:
        for n in range(first, first + 3):
            headers, form = signed("/hooks/twilio/sms", sms_form(
                "leau du robinet est potable ?", f"SMkeep{n}", sender=f"+3361200010{n}"))
            response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
            assert response.status == 200

    async def sent(count: int) -> bool:
        return len(standin.messages) >= count

    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisis", "worker", env={**env, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await post(0)
        await until(lambda: sent(3), 20)
        first = {m["Peer"] for m in standin.messages}
        await post(3)
        await until(lambda: sent(6), 20)
    finally:
        worker.terminate()
        output, _ = await asyncio.wait_for(worker.communicate(), 60)
    assert worker.returncode == 0, output.decode()[-2000:]
    assert len(standin.messages) == 6
    # A client built per batch would come on new connections only. Not "a subset": the events
    # process may hand a batch's replies over together (channels/inbound_phases.py), sent
    # concurrently on more connections than one-by-one replies opened.
    assert {m["Peer"] for m in standin.messages[3:]} & first, standin.messages
    items, _, _ = await store.page(status="auto-answered", channel=None, limit=10, cursor=None)
    assert len(items) == 6


async def run_worker_burst(env: dict[str, str]) -> None:
    """`crisis worker --burst` in a subprocess: the real worker drains the queues and exits.
    Awaited without blocking our loop, which serves the Twilio stand-in meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisis", "worker", "--burst", env={**env, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()[-2000:]


async def test_outbound_sms_are_paced_to_the_senders_rate(
    kb: None, client: Any, env: dict[str, str], twilio: tuple[TwilioStandIn, str],
) -> None:
    standin, _ = twilio
    for n in range(6):
        headers, form = signed("/hooks/twilio/sms", sms_form(
            "leau du robinet est potable ?", f"SMpace{n}", sender=f"+3361200000{n}"))
        assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200
    store = client.app[DESK].store

    async def all_answered() -> bool:
        items, _, _ = await store.page(status="auto-answered", channel=None, limit=10, cursor=None)
        return len(items) == 6

    await until(all_answered)
    await run_worker_burst({**env, "TWILIO_MESSAGES_PER_SECOND": "2"})
    times = sorted(float(m["ReceivedAt"]) for m in standin.messages)
    assert len(times) == 6
    # Six at two a second take three calendar seconds (unpaced, they go out within ~0.2 s).
    assert len({int(t) for t in times}) >= 3, times


async def test_a_pipeline_far_behind_refuses_new_sms_with_503_and_trims_nothing_unread(
        kb: None, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group that reads nothing (an events process stopped, far behind) holds every event
    written since: none is trimmed, however many come (a length cap used to drop the oldest
    unread ones, messages acknowledged and then never answered nor queued). At the bound the
    webhook answers 503 with Retry-After and stores nothing, so Twilio tries again; once the
    group has caught up, the retry is taken."""
    desk = client.app[DESK]
    redis, stream = desk.ctx.redis, desk.ctx.keys.conversation_events
    await stall_a_group(desk.ctx, monkeypatch)
    monkeypatch.setattr(store_module, "CONVERSATION_BACKLOG_LIMIT", await redis.xlen(stream) + 4)
    statuses: list[int] = []
    for n in range(30):
        headers, form = signed("/hooks/twilio/sms", sms_form(f"question {n} ?", f"SMfull{n}",
                                                                f"+336100000{n:02d}"))
        response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
        statuses.append(response.status)
        if response.status != 200:
            break
    assert statuses[-1] == 503 and set(statuses[:-1]) == {200}, statuses
    assert response.headers["Retry-After"] == str(store_module.BACKLOG_RETRY_AFTER_S)
    taken = len(statuses) - 1
    _, total, _ = await desk.store.page(status=None, channel=None, limit=50, cursor=None)
    assert total == taken  # the refused one is not stored
    await asyncio.sleep(2 * SWEEP_INTERVAL_S + 0.5)  # trims come and go: nothing unread goes
    unread = await redis.xreadgroup("stalled", "s", {stream: ">"}, count=1000)
    entries = unread[0][1] if unread else []
    received = [entry_id for entry_id, fields in entries
                if json.loads(fields["event"])["type"] == "conversation.message_received"]
    assert len(received) == taken
    await redis.xack(stream, "stalled", *[entry_id for entry_id, _ in entries])

    async def retried() -> int:
        again = await client.post("/hooks/twilio/sms", data=form, headers=headers)
        return again.status
    await until(retried, 3 * SWEEP_INTERVAL_S + 2, ok=lambda status: status == 200, every=0.5)
    _, total, _ = await desk.store.page(status=None, channel=None, limit=50, cursor=None)
    assert total == taken + 1
