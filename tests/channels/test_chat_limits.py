"""Limits of the chat socket and of the citizens' channels: hellos per socket, sockets per
address, messages per address (chat) and per number (SMS), across processes through Redis."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from channels import CHAT_HUB
from channels.addresses import citizen_id
from channels.api import DESK
from crisis.context import Context
from tests.channels.conftest import signed, sms_form, until

FLOOD = {"X-Forwarded-For": "203.0.113.7"}
NEIGHBOUR = {"X-Forwarded-For": "198.51.100.9"}


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_CHAT_SOCKETS_PER_IP": "3",
            "CRISIS_CHAT_MESSAGES_PER_IP_PER_MINUTE": "3",
            "CRISIS_SMS_MESSAGES_PER_NUMBER_PER_MINUTE": "2",
            "CRISIS_TRUSTED_PROXIES": "127.0.0.1"}


async def test_hellos_per_socket_are_bounded_and_nothing_stays(client: Any) -> None:
    hub = client.app[CHAT_HUB]
    socket = await client.ws_connect("/chat/ws")
    frames = []
    for _ in range(10):
        await socket.send_json({"type": "hello", "token": None})
    async for message in socket:
        frames.append(message.json())
    welcomes = [f for f in frames if f["type"] == "welcome"]
    assert len(welcomes) == 3  # then refused, and the socket closed
    assert frames[-1]["code"] == "too_many_hellos"
    assert "Rechargez la page" in frames[-1]["message"]
    assert socket.closed

    async def forgotten() -> bool:
        return hub.sockets == {} and hub.per_address == {}

    await until(forgotten)


async def test_a_new_hello_moves_the_socket_to_its_citizen(client: Any) -> None:
    hub = client.app[CHAT_HUB]
    socket = await client.ws_connect("/chat/ws")
    for _ in range(3):
        await socket.send_json({"type": "hello", "token": None})
        await socket.receive_json(timeout=5)
    assert len(hub.sockets) == 1  # one citizen: the last hello's
    await socket.close()

    async def forgotten() -> bool:
        return hub.sockets == {}

    await until(forgotten)


async def test_sockets_per_address_are_capped(client: Any) -> None:
    sockets = [await client.ws_connect("/chat/ws", headers=FLOOD) for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/chat/ws", headers=FLOOD)
    assert refused.value.status == 429
    answer = await client.get("/chat/ws?lang=fr", headers={**FLOOD, "Connection": "Upgrade",
                                                           "Upgrade": "websocket"})
    assert answer.status == 429 and answer.headers["Retry-After"] == "30"
    assert (await answer.json())["error"]["message"].startswith(
        "Trop de discussions ouvertes depuis votre connexion")
    other = await client.ws_connect("/chat/ws", headers=NEIGHBOUR)  # another address: fine
    await other.close()
    await sockets.pop().close()

    async def room_again() -> Any:
        try:
            return await client.ws_connect("/chat/ws", headers=FLOOD)
        except aiohttp.WSServerHandshakeError:
            return None

    sockets.append(await until(room_again))
    for socket in sockets:
        await socket.close()


async def _open(client: Any, headers: dict[str, str]) -> Any:
    socket = await client.ws_connect("/chat/ws", headers=headers)
    await socket.send_json({"type": "hello", "token": None, "lang": "fr"})
    assert (await socket.receive_json(timeout=5))["type"] == "welcome"
    return socket


async def test_chat_messages_per_address_are_limited(client: Any) -> None:
    """40 sockets from one address opened 40 conversations in 3 s: now the fourth message
    of the minute from one address is refused, whatever the socket, with a clear message."""
    store = client.app[DESK].store
    answers = []
    for n in range(4):
        socket = await _open(client, FLOOD)
        await socket.send_json({"type": "message", "id": f"f{n}", "text": "bonjour"})
        answers.append(await socket.receive_json(timeout=5))
        await socket.close()
    assert [a["type"] for a in answers] == ["ack", "ack", "ack", "error"]
    refused = answers[-1]
    assert refused["code"] == "rate_limited" and 0 < refused["retry_after"] <= 60
    assert refused["message"].startswith("Beaucoup de messages sont partis de votre connexion")
    assert f"dans {refused['retry_after']} s" in refused["message"]
    neighbour = await _open(client, NEIGHBOUR)
    await neighbour.send_json({"type": "message", "id": "n1", "text": "bonjour"})
    assert (await neighbour.receive_json(timeout=5)) == {"type": "ack", "id": "n1"}
    await neighbour.close()

    async def four() -> bool:
        return (await store.page(status=None, channel=None, limit=10, cursor=None))[1] == 4

    await until(four)  # three from the flood, one from the neighbour


async def _sms(client: Any, body: str, sid: str, sender: str) -> str:
    headers, form = signed("/hooks/twilio/sms", sms_form(body, sid, sender))
    response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
    assert response.status == 200
    return str(await response.text())


async def test_sms_per_number_are_limited_and_the_sender_is_told_once(
    client: Any, ctx: Context,
) -> None:
    desk = client.app[DESK]
    flood = "+33611223344"
    replies = [await _sms(client, f"question {n}", f"SML{n}", flood) for n in range(4)]
    assert all("<Message>" not in r for r in replies[:2])
    assert "<Message>Vous avez envoyé beaucoup de SMS en peu de temps" in replies[2]
    assert "<Message>" not in replies[3]  # told once a minute, not at every SMS
    assert "<Message>" not in await _sms(client, "bonjour", "SMN1", "+33699887766")

    async def stored() -> Any:
        items, total, _ = await desk.store.page(status=None, channel=None, limit=10, cursor=None)
        return items if total == 2 else None

    conversations = await until(stored)
    texts = [m.text for c in conversations for m in await desk.store.messages(c.id)
             if m.author == "citizen"]
    assert sorted(texts) == ["bonjour", "question 0", "question 1"]
    # STOP is always heard, limit or not.
    await _sms(client, "STOP", "SMLstop", flood)

    async def opted_out() -> bool:
        return bool(await ctx.redis.scard(desk.k.optout))

    await until(opted_out)


async def test_an_sms_counter_without_expiry_gets_the_window(client: Any, ctx: Context) -> None:
    """A counter left without an expiry (a restore, a manual edit) would refuse its number
    for ever: the next SMS gives it the minute, and the number is heard again after it."""
    desk = client.app[DESK]
    sender = "+33655443322"
    await _sms(client, "premier", "SMX1", sender)
    counter = desk.k.limit("sms", citizen_id(ctx.secret, sender))
    assert 0 < await ctx.redis.ttl(counter) <= 60
    await ctx.redis.set(counter, 9)  # over the limit of 2, and no expiry
    assert "<Message>" not in await _sms(client, "second", "SMX2", sender)
    assert 0 < await ctx.redis.ttl(counter) <= 60
