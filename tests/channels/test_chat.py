"""The web chat over a real WebSocket: token, auto-answer, resume without loss or duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from channels import store as store_module
from channels.api import DESK
from crisis.events import make_event
from crisis.types import OperatorStatus, Principal, Role
from tests.channels.conftest import stall_a_group, until


async def receive_until(socket: Any, predicate: Any, limit: int = 20) -> list[dict[str, Any]]:
    frames = []
    for _ in range(limit):
        frame = await socket.receive_json(timeout=15)
        frames.append(frame)
        if predicate(frame):
            return frames
    raise AssertionError(f"never got the expected frame: {frames}")


async def test_chat_question_gets_an_answer_and_a_reconnect_resumes(kb: None, client: Any) -> None:
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello", "token": None, "since": None, "lang": "fr"})
    welcome = await socket.receive_json(timeout=5)
    assert welcome["type"] == "welcome"
    token = welcome["token"]
    await socket.send_json({"type": "message", "id": "w1", "text": "l'eau du robinet est elle potable"})
    frames = await receive_until(socket, lambda f: f["type"] == "message" and f["author"] == "auto")
    assert {"type": "ack", "id": "w1"} in frames
    answer = frames[-1]
    await socket.close()

    # The page reloads: it says what it saw last and resends what was not acknowledged.
    again = await client.ws_connect("/chat/ws")
    await again.send_json({"type": "hello", "token": token, "since": answer["id"], "lang": "fr"})
    assert (await again.receive_json(timeout=5))["token"] == token
    await again.send_json({"type": "message", "id": "w1", "text": "l'eau du robinet est elle potable"})
    assert (await again.receive_json(timeout=5)) == {"type": "ack", "id": "w1"}
    store = client.app[DESK].store
    items, total, _ = await store.page(status=None, channel=None, limit=5, cursor=None)
    assert total == 1
    citizen_messages = [m for m in await store.messages(items[0].id) if m.author == "citizen"]
    assert len(citizen_messages) == 1  # the resent message was not stored twice
    await again.close()


async def test_a_reconnect_without_since_replays_the_history_once(kb: None, client: Any) -> None:
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello", "token": None})
    token = (await socket.receive_json(timeout=5))["token"]
    await socket.send_json({"type": "message", "id": "a", "text": "bonjour"})
    await receive_until(socket, lambda f: f["type"] == "message" and f["author"] == "auto")
    await socket.close()
    again = await client.ws_connect("/chat/ws")
    await again.send_json({"type": "hello", "token": token})
    await again.receive_json(timeout=5)
    replay = [await again.receive_json(timeout=5) for _ in range(2)]
    assert [f["author"] for f in replay] == ["citizen", "auto"]
    assert replay[0]["client_id"] == "a"
    await again.close()


async def test_forged_tokens_get_a_new_conversation(client: Any) -> None:
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello", "token": "stolen.0000000000000000"})
    assert (await socket.receive_json(timeout=5))["token"] != "stolen.0000000000000000"
    await socket.close()


async def test_bad_frames_get_clear_errors(client: Any) -> None:
    socket = await client.ws_connect("/chat/ws")
    await socket.send_str("{not json")
    assert (await socket.receive_json(timeout=5))["message"] == "invalid frame"
    await socket.send_json({"type": "hello"})
    await socket.receive_json(timeout=5)
    await socket.send_json({"type": "message", "id": "x", "text": "a" * 1001})
    assert "too long" in (await socket.receive_json(timeout=5))["message"]
    await socket.send_json({"type": "message", "id": "", "text": "hi"})
    assert "required" in (await socket.receive_json(timeout=5))["message"]
    await socket.close()


async def test_an_operator_reply_reaches_the_citizen_socket(kb: None, client: Any) -> None:
    desk = client.app[DESK]
    await desk.router.set_operator("op1", OperatorStatus.AVAILABLE)
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello"})
    await socket.receive_json(timeout=5)
    await socket.send_json({"type": "message", "id": "h", "text": "je veux parler a un conseiller"})

    async def assigned() -> Any:
        items, _, _ = await desk.store.page(status="assigned", channel=None, limit=1, cursor=None)
        return items

    conversation = (await until(assigned))[0]
    assert conversation.operator == "op1"
    await desk.reply(conversation.id, "Bonjour, je suis Claire, je vous écoute.",
                     Principal("op1", Role.OPERATOR))
    frames = await receive_until(socket, lambda f: f.get("author") == "operator")
    assert frames[-1]["text"] == "Bonjour, je suis Claire, je vous écoute."
    await socket.close()


async def test_a_pipeline_far_behind_leaves_the_message_pending_with_a_clear_notice(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the pipeline's backlog bound the message is not acknowledged: the citizen reads why
    and that it will go by itself, and the widget sends it again after `retry_after`."""
    desk = client.app[DESK]
    redis, stream = desk.ctx.redis, desk.ctx.keys.conversation_events
    await stall_a_group(desk.ctx, monkeypatch)
    # One event the stalled group holds, and the bound at it.
    await desk.ctx.bus.publish(make_event("conversation.noted", actor="test", subject="c0"))
    monkeypatch.setattr(store_module, "CONVERSATION_BACKLOG_LIMIT", await redis.xlen(stream))
    socket = await client.ws_connect("/chat/ws")
    await socket.send_json({"type": "hello"})
    await socket.receive_json(timeout=5)
    await socket.send_json({"type": "message", "id": "m1", "text": "ou dormir ce soir ?"})
    refused = await socket.receive_json(timeout=5)
    assert (refused["type"], refused["code"], refused["id"]) == ("error", "busy", "m1")
    assert refused["retry_after"] == store_module.BACKLOG_RETRY_AFTER_S
    assert "repartira tout seul" in refused["message"] and "112" in refused["message"]
    _, total, _ = await desk.store.page(status=None, channel=None, limit=5, cursor=None)
    assert total == 0
    await redis.xgroup_destroy(stream, "stalled")
    monkeypatch.setattr(store_module, "CONVERSATION_BACKLOG_LIMIT", 100_000)
    await socket.send_json({"type": "message", "id": "m1", "text": "ou dormir ce soir ?"})
    frames = await receive_until(socket, lambda f: f.get("type") == "ack")
    assert frames[-1]["id"] == "m1"
    await socket.close()
