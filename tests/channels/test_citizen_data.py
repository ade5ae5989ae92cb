"""One citizen's data on request (GDPR articles 15 and 17): all of it exported, all of it erased,
nobody else's touched, and an open conversation leaves the queue with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from channels.api import DESK
from channels.citizen_data import citizen_of, erase_citizen, export_citizen
from crisis.audit import read_audit
from crisis.context import Context
from crisis.types import ChannelKind, InboundMessage, utcnow
from tests.crisis.test_cli import run

NUMBER, OTHER = "+33612345678", "+33698765432"


def inbound(address: str, sid: str, text: str) -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address=address, text=text,
                          provider_id=sid, received_at=utcnow())


async def test_export_holds_everything_and_erasure_leaves_nothing_but_the_others(
        client: Any, ctx: Context) -> None:
    desk = client.app[DESK]
    mine = await desk.store.receive(inbound(NUMBER, "S1", "ma maison est inondée, 3 rue Haute"))
    theirs = await desk.store.receive(inbound(OTHER, "S2", "où dormir ce soir ?"))
    assert mine is not None and theirs is not None
    await desk.router.enqueue(mine.conversation_id, "fr|sms||1")  # waiting for an operator
    assert await desk.router.position(mine.conversation_id) is not None
    await ctx.redis.sadd(desk.k.optout, citizen_of(ctx.secret, ChannelKind.SMS, NUMBER))
    await desk.alerts.subscribe("sms", NUMBER, ("75",), source="sms message")
    await desk.alerts.subscribe("sms", OTHER, ("75",), source="sms message")
    # The citizen writes the number as they know it: "06..." is the same person.
    citizen = citizen_of(ctx.secret, ChannelKind.SMS, "06 12 34 56 78")

    exported = await export_citizen(ctx.redis, desk.k, citizen)
    assert exported["addresses"] == {"sms": NUMBER} and exported["opted_out"]
    [conversation] = exported["conversations"]
    assert "3 rue Haute" in json.dumps(conversation["messages"], ensure_ascii=False)
    assert OTHER not in json.dumps(exported)  # nobody else's data
    assert exported["alert_subscriptions"]["sms"]["areas"] == ["75"]

    report = await erase_citizen(ctx.redis, desk.k, citizen)
    assert (report.conversations, report.addresses) == (1, 1)
    assert await desk.router.position(mine.conversation_id) is None  # out of the queue
    assert not await ctx.redis.exists(desk.k.conversation(mine.conversation_id),
                                      desk.k.messages(mine.conversation_id),
                                      desk.k.citizen(citizen))
    again = await export_citizen(ctx.redis, desk.k, citizen)
    assert again["conversations"] == [] and again["addresses"] == {}
    assert again["opted_out"]  # STOP is still honoured unless asked otherwise
    assert again["alert_subscriptions"] == {}
    assert await desk.alerts.counts() == {"75": {"sms": 1}}  # the other citizen's stays
    assert (await desk.store.get(theirs.conversation_id)).id == theirs.conversation_id
    assert await desk.store.address_of(await desk.store.get(theirs.conversation_id)) == OTHER


def test_the_command_line_exports_then_erases_and_audits_without_the_number(
        env: dict[str, str], tmp_path: Path) -> None:
    exported = run(env, "citizens", "export", NUMBER, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["conversations"] == []
    erased = run(env, "citizens", "erase", "--channel", "sms", NUMBER, cwd=tmp_path)
    assert erased.returncode == 0 and "erased" in erased.stderr
    bad = run(env, "citizens", "erase", "not a number", cwd=tmp_path)
    assert bad.returncode == 1 and "not a phone number" in bad.stderr
    run(env, "users", "add", "op9", "--role", "operator", cwd=tmp_path)
    refused = run(env, "--as", "op9", "citizens", "export", NUMBER, cwd=tmp_path)
    assert refused.returncode == 1 and "needs admin" in refused.stderr


async def test_each_request_is_audited_under_the_citizen_id(ctx: Context, env: dict[str, str],
                                                            tmp_path: Path) -> None:
    run(env, "citizens", "erase", NUMBER, cwd=tmp_path)
    entries = [e for e in await read_audit(ctx.redis, ctx.keys) if e.action == "citizen.erase"]
    assert entries and entries[0].target == citizen_of(ctx.secret, ChannelKind.SMS, NUMBER)
    assert NUMBER not in json.dumps([e.target for e in entries])
