"""A reply is checked, then recorded, then sent: a refused reply never reaches the citizen,
by SMS (nothing reaches the Twilio stand-in) or by chat (nothing reaches the widget)."""

from __future__ import annotations

from typing import Any

from channels.api import DESK
from crisis.context import Context
from crisis.types import ConversationStatus, Role
from tests.channels.conftest import signed, sms_form, until
from tests.channels.test_chat import receive_until
from tests.channels.test_sms import run_worker_burst
from tests.conftest import bearer
from testbed.twilio import TwilioStandIn

REFUSED = "Cette réponse ne doit jamais partir."


async def test_a_reply_to_a_closed_sms_conversation_is_not_sent(
    kb: None, client: Any, ctx: Context, env: dict[str, str],
    twilio: tuple[TwilioStandIn, str],
) -> None:
    standin, _ = twilio
    desk = client.app[DESK]
    op1 = await bearer(ctx, "op1", Role.OPERATOR)
    await client.post("/api/operators/me/status", headers=op1, json={"status": "available"})
    headers, form = signed("/hooks/twilio/sms", sms_form("passez moi un conseiller", "SMC1"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200

    async def assigned() -> Any:
        items, _, _ = await desk.store.page(status="assigned", channel=None, limit=1, cursor=None)
        return items

    conversation = (await until(assigned))[0]
    closed = await client.post(f"/api/conversations/{conversation.id}/close", headers=op1,
                               json={"wrap_up": "informed"})
    assert closed.status == 200
    # The operator no longer holds it (403); a supervisor may act on any: refused as closed.
    assert (await client.post(f"/api/conversations/{conversation.id}/reply", headers=op1,
                              json={"text": REFUSED})).status == 403
    supervisor = await bearer(ctx, "sup", Role.SUPERVISOR)
    refused = await client.post(f"/api/conversations/{conversation.id}/reply",
                                headers=supervisor, json={"text": REFUSED})
    assert refused.status == 409
    assert "closed" in (await refused.json())["error"]["message"]
    await run_worker_burst(env)
    bodies = [m["Body"] for m in standin.messages]
    assert bodies and REFUSED not in bodies  # the queue position went; the reply did not
    assert all(m.text != REFUSED for m in await desk.store.messages(conversation.id))
    assert (await desk.store.get(conversation.id)).status is ConversationStatus.CLOSED


async def test_a_refused_reply_to_a_queued_chat_never_reaches_the_widget(
    kb: None, client: Any, ctx: Context,
) -> None:
    desk = client.app[DESK]
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello"})
    await socket.receive_json(timeout=5)
    await socket.send_json({"type": "message", "id": "q", "text": "je veux parler a un conseiller"})

    async def queued() -> Any:
        items, _, _ = await desk.store.page(status="queued", channel=None, limit=1, cursor=None)
        return items

    conversation = (await until(queued))[0]
    supervisor = await bearer(ctx, "sup", Role.SUPERVISOR)
    refused = await client.post(f"/api/conversations/{conversation.id}/reply",
                                headers=supervisor, json={"text": REFUSED})
    assert refused.status == 409
    # Then an operator takes it and answers: frames come in order, so the refused reply,
    # had it been published, would arrive before this one.
    op1 = await bearer(ctx, "op1", Role.OPERATOR)
    await client.post("/api/operators/me/status", headers=op1, json={"status": "available"})

    async def assigned() -> Any:
        return (await desk.store.get(conversation.id)).status is ConversationStatus.ASSIGNED

    await until(assigned)
    sent = await client.post(f"/api/conversations/{conversation.id}/reply", headers=op1,
                             json={"text": "Bonjour, je vous écoute."})
    assert sent.status == 201
    frames = await receive_until(socket, lambda f: f.get("author") == "operator")
    assert [f["text"] for f in frames if f.get("author") == "operator"] == [
        "Bonjour, je vous écoute."]
    assert all(m.text != REFUSED for m in await desk.store.messages(conversation.id))
    await socket.close()
