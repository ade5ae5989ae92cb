"""Who reads and acts on which conversation (channels/access.py), through the API and the
console alike: an operator their own and the queue's metadata, a supervisor everything."""

from __future__ import annotations

import datetime as dt
from typing import Any

from channels.access import ConversationAccess
from channels.api import DESK
from crisis.context import Context
from crisis.types import (
    ChannelKind, Conversation, ConversationStatus, InboundMessage, Principal, Role, utcnow,
)
from crisis.web.middleware import SESSION_COOKIE
from tests.channels.conftest import signed, sms_form, until
from tests.conftest import ADMIN, bearer
from tests.support.handled import all_handled


def _conversation(status: ConversationStatus, operator: str | None) -> Conversation:
    now = utcnow()
    return Conversation(id="c1", channel=ChannelKind.SMS, citizen="x", address_masked="+33•",
                        status=status, operator=operator, created_at=now, updated_at=now)


def test_the_rule() -> None:
    op1 = ConversationAccess(Principal("op1", Role.OPERATOR))
    volunteer = ConversationAccess(Principal("vol", Role.OPERATOR, restricted=True))
    supervisor = ConversationAccess(Principal("sup", Role.SUPERVISOR))
    held = _conversation(ConversationStatus.ASSIGNED, "op1")
    closed = _conversation(ConversationStatus.CLOSED, None)  # the router let go of it
    queued = _conversation(ConversationStatus.QUEUED, None)
    assert op1.may_read(held) and not op1.may_read(closed) and not op1.may_list(closed)
    assert not volunteer.may_read(held) and not volunteer.may_list(held)
    assert volunteer.may_list(queued) and not volunteer.may_read(queued)
    assert supervisor.may_read(held) and supervisor.may_read(queued) and supervisor.may_read(closed)


async def _sms(client: Any, body: str, sid: str, sender: str) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form(body, sid, sender))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200


async def test_an_operator_reads_only_their_own_and_the_queue(kb: None, client: Any,
                                                              ctx: Context) -> None:
    desk = client.app[DESK]
    op1 = await bearer(ctx, "op1", Role.OPERATOR)
    await client.post("/api/operators/me/status", headers=op1,
                      json={"status": "available", "capacity": 1})
    await _sms(client, "passez moi quelqu'un svp", "SMA1", "+33611000001")

    async def assigned() -> Any:
        items, _, _ = await desk.store.page(status="assigned", channel=None, limit=1, cursor=None)
        return items

    held = (await until(assigned))[0]
    await _sms(client, "je veux parler a un conseiller", "SMA2", "+33611000002")

    async def queued() -> Any:
        items, _, _ = await desk.store.page(status="queued", channel=None, limit=1, cursor=None)
        return items

    waiting = (await until(queued))[0]
    op2 = await bearer(ctx, "op2", Role.OPERATOR)
    listing = await (await client.get("/api/conversations", headers=op2)).json()
    assert [c["id"] for c in listing["items"]] == [waiting.id]
    assert "messages" not in listing["items"][0]
    for path in (f"/api/conversations/{held.id}", f"/api/conversations/{waiting.id}"):
        response = await client.get(path, headers=op2)
        assert response.status == 403, path
        assert "another operator" in (await response.json())["error"]["message"]
    for action, body in (("reply", {"text": "Je lis votre conversation."}),
                         ("close", {"wrap_up": "informed"})):
        response = await client.post(f"/api/conversations/{held.id}/{action}", headers=op2,
                                     json=body)
        assert response.status == 403, action
    assert all(m.author != "op2" for m in await desk.store.messages(held.id))
    assert (await desk.store.get(held.id)).status is ConversationStatus.ASSIGNED

    # A reinforcement account's session is an operator's too: the same rule.
    await ctx.accounts.create_account("vol1", Role.OPERATOR, "a long password!", actor=ADMIN,
                                      reinforcement=True,
                                      expires_at=utcnow() + dt.timedelta(hours=72))
    raw, _ = await ctx.accounts.open_session(
        await ctx.accounts.authenticate("vol1", "a long password!"), 1)
    cookie = {"Cookie": f"{SESSION_COOKIE}={raw}"}
    assert (await client.get(f"/api/conversations/{held.id}", headers=cookie)).status == 403
    listing = await (await client.get("/api/conversations", headers=cookie)).json()
    assert [c["id"] for c in listing["items"]] == [waiting.id]
    assert (await client.get(f"/console/c/{held.id}", headers=cookie)).status == 403

    # The holder reads their conversation with its messages; a supervisor reads everything.
    mine = await (await client.get(f"/api/conversations/{held.id}", headers=op1)).json()
    assert mine["messages"][0]["text"] == "passez moi quelqu'un svp"
    listing = await (await client.get("/api/conversations", headers=op1)).json()
    assert {c["id"] for c in listing["items"]} == {held.id, waiting.id}
    supervisor = await bearer(ctx, "sup", Role.SUPERVISOR)
    listing = await (await client.get("/api/conversations", headers=supervisor)).json()
    assert {c["id"] for c in listing["items"]} == {held.id, waiting.id}
    assert (await client.get(f"/api/conversations/{waiting.id}", headers=supervisor)).status == 200


async def test_a_filtered_listing_reads_a_bounded_number_per_page(kb: None, client: Any) -> None:
    """An operator's narrow view over a long history: each request scans at most the budget
    and says where to go on."""
    store = client.app[DESK].store
    for n in range(5):
        await _sms(client, "bonjour", f"SMB{n}", f"+3361100010{n}")

    # Each message handled: the pipeline's writes move a conversation to the top of the
    # listing, which must not happen between the pages.
    await until(lambda: all_handled(store, 5))
    items, _, cursor = await store.page(status=None, channel=None, limit=10, cursor=None,
                                        visible=lambda c: False, scan_budget=3)
    assert items == [] and cursor is not None
    items, _, cursor = await store.page(status=None, channel=None, limit=10, cursor=cursor,
                                        visible=lambda c: False, scan_budget=3)
    assert items == [] and cursor is None


async def test_who_opened_which_conversation_is_audited(client: Any, ctx: Context) -> None:
    from crisis.audit import read_audit
    desk = client.app[DESK]
    received = await desk.store.receive(InboundMessage(
        channel=ChannelKind.SMS, address="+33611112222", text="bonjour", provider_id="SAUD",
        received_at=utcnow()))
    assert received is not None
    headers = await bearer(ctx, "sup-audit", Role.SUPERVISOR)
    response = await client.get(f"/api/conversations/{received.conversation_id}", headers=headers)
    assert response.status == 200
    page = await client.get(f"/console/c/{received.conversation_id}", headers=headers)
    assert page.status == 200
    reads = [e for e in await read_audit(ctx.redis, ctx.keys)
             if e.action == "conversation.read" and e.target == received.conversation_id]
    assert [e.actor for e in reads] == ["token:sup-audit", "token:sup-audit"]
