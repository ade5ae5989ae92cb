"""The web-chat WebSocket (`GET /chat/ws`): anonymous, resumable, never losing a message.

Protocol (JSON frames):
  client: {"type": "hello", "token": str|null, "since": last message id|null, "lang": "fr"}
  server: {"type": "welcome", "token": str, "adviser": {"label", "text"}}  then every
          message after `since` ("adviser": the button to reach an adviser and what it sends)
  client: {"type": "message", "id": client-chosen id, "text": str}
  server: {"type": "ack", "id": ...}  and  {"type": "message", "id", "text", "author", "at",
          "html"} ("html": sanitised HTML of an automatic answer, else null: shown as text)
A client resends unacknowledged messages with the same id after a reconnect; the store drops
the duplicates.
Limits (docs/security.md): at most MAX_HELLOS hellos per socket (then an error with code
"too_many_hellos" and the socket closes), CRISIS_CHAT_SOCKETS_PER_IP open sockets per client
address in a process (429 before the upgrade), CRISIS_CHAT_MESSAGES_PER_IP_PER_MINUTE messages
per address across processes: over it, {"type": "error", "code": "rate_limited", "id",
"retry_after": seconds, "message"} and no ack, so the client keeps the message for later.
One Redis pattern subscription per process feeds every local socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from channels.addresses import citizen_id
from channels.inbound_limits import InboundLimits
from channels.chat.adapter import MAX_TEXT, WebChat, frame
from channels.chat.tokens import issue_token, valid_token
from channels.keys import ChannelKeys
from channels.messages import say
from channels.store import ConversationStore
from crisis.context import Context
from crisis.errors import Busy, Forbidden, InvalidInput, RateLimited
from crisis.ports import InboundRequest
from crisis.web.client_address import client_address

log = logging.getLogger(__name__)

MAX_FRAME = 4096
RATE_PER_S = 2.0  # sustained messages per second per socket
BURST = 5
MAX_HELLOS = 3  # a page says hello once per socket; a few more leave room for a retry


@dataclasses.dataclass
class _SocketState:
    """What one socket has said so far."""

    address: str
    citizen: str = ""
    token: str = ""
    lang: str = "fr"
    hellos: int = 0


class ChatHub:
    """Delivers outbound chat messages to the sockets of this process."""

    def __init__(self, ctx: Context, keys: ChannelKeys, store: ConversationStore) -> None:
        self.ctx = ctx
        self.k = keys
        self.store = store
        # citizen -> this process's sockets for them; a socket is under one citizen at most
        # and leaves when it closes, so the table is bounded by the open sockets.
        self.sockets: dict[str, set[web.WebSocketResponse]] = {}
        # client address -> open sockets from it in this process (CRISIS_CHAT_SOCKETS_PER_IP).
        self.per_address: dict[str, int] = {}
        self.limits = InboundLimits(ctx, keys)
        self.adapter = WebChat(ctx.redis, keys, ctx.secret)

    def _register(self, citizen: str, socket: web.WebSocketResponse) -> None:
        self.sockets.setdefault(citizen, set()).add(socket)

    def _unregister(self, citizen: str, socket: web.WebSocketResponse) -> None:
        sockets = self.sockets.get(citizen)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self.sockets[citizen]

    def channel(self, citizen: str) -> str:
        return self.k.chat(citizen)

    async def run(self, stop: asyncio.Event) -> None:
        pubsub = self.ctx.redis.pubsub()
        await pubsub.psubscribe(self.k.chat_pattern)
        try:
            while not stop.is_set():
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item and item["type"] == "pmessage":
                    citizen = str(item["channel"]).rsplit(":", 1)[1]
                    for socket in list(self.sockets.get(citizen, ())):
                        with contextlib.suppress(ConnectionError, RuntimeError):
                            await socket.send_str(str(item["data"]))
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        address = client_address(request)
        lang = "en" if request.query.get("lang") == "en" else "fr"
        if self.per_address.get(address, 0) >= self.ctx.settings.chat_sockets_per_ip:
            raise RateLimited(say("too_many_sockets", lang), retry_after_s=30)
        self.per_address[address] = self.per_address.get(address, 0) + 1
        state = _SocketState(address=address)
        try:
            socket = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_FRAME)
            await socket.prepare(request)
            try:
                await self._converse(socket, state)
            finally:
                self._unregister(state.citizen, socket)
        finally:
            left = self.per_address.pop(address) - 1
            if left:
                self.per_address[address] = left
        return socket

    async def _converse(self, socket: web.WebSocketResponse, state: _SocketState) -> None:
        tokens, last = float(BURST), time.monotonic()
        async for raw in socket:
            if raw.type is not WSMsgType.TEXT:
                break
            try:
                data = json.loads(raw.data)
            except (ValueError, RecursionError):  # RecursionError: "[[[[..." 4 KB deep
                data = None
            if not isinstance(data, dict):  # checked in code, not by assert (python -O)
                await socket.send_json({"type": "error", "message": "invalid frame"})
                continue
            if data.get("type") == "hello":
                state.hellos += 1
                if state.hellos > MAX_HELLOS:
                    # A page says hello once per socket; more is someone minting citizens.
                    await socket.send_json({"type": "error", "code": "too_many_hellos",
                                            "message": say("too_many_hellos", state.lang)})
                    await socket.close()
                    break
                await self._hello(socket, state, data)
            elif data.get("type") == "message" and state.token:
                now = time.monotonic()
                tokens = min(BURST, tokens + (now - last) * RATE_PER_S)
                last = now
                if tokens < 1:
                    await socket.send_json({"type": "error", "message": "slow down"})
                    continue
                tokens -= 1
                await self._receive(socket, state, data)

    async def _hello(self, socket: web.WebSocketResponse, state: _SocketState,
                     data: dict[str, Any]) -> None:
        token = data["token"] if valid_token(self.ctx.secret, data.get("token")) \
            else issue_token(self.ctx.secret)
        citizen = citizen_id(self.ctx.secret, token)
        if state.citizen and state.citizen != citizen:
            self._unregister(state.citizen, socket)  # one citizen per socket
        state.token, state.citizen = token, citizen
        state.lang = "en" if data.get("lang") == "en" else "fr"
        self._register(citizen, socket)
        await socket.send_json({"type": "welcome", "token": token, "adviser": {
            "label": say("adviser_button", state.lang), "text": say("adviser_request", state.lang)}})
        await self._replay(socket, citizen, data.get("since"))

    async def _receive(self, socket: web.WebSocketResponse, state: _SocketState,
                       data: dict[str, Any]) -> None:
        request = InboundRequest(url="", headers={}, form={}, body=json.dumps(
            {"token": state.token, "id": data.get("id", ""), "text": data.get("text", ""),
             "lang": state.lang}).encode())
        try:
            messages = self.adapter.parse_inbound(request)
        except (InvalidInput, Forbidden) as err:  # no hello yet, no id, too long
            await socket.send_json({"type": "error", "message": err.message})
            return
        client_id = messages[0].provider_id
        verdict = await self.limits.chat_message(state.address)
        if not verdict.allowed:
            # Not acknowledged: the widget keeps the message and sends it again after.
            await socket.send_json({
                "type": "error", "code": "rate_limited", "id": client_id,
                "retry_after": verdict.retry_after_s,
                "message": say("rate_limited_chat", state.lang).format(
                    seconds=verdict.retry_after_s)})
            return
        try:
            for message in messages:
                await self.store.receive(message)
        except Busy as busy:  # the pipeline far behind: not taken, the widget sends it again
            await socket.send_json({
                "type": "error", "code": "busy", "id": client_id,
                "retry_after": busy.retry_after_s,
                "message": say("busy_chat", state.lang).format(seconds=busy.retry_after_s)})
            return
        await socket.send_json({"type": "ack", "id": client_id})

    async def _replay(self, socket: web.WebSocketResponse, citizen: str, since: object) -> None:
        conversation_id = await self.ctx.redis.get(self.k.address("chat", citizen))
        if conversation_id is None:
            return
        messages = await self.store.messages(str(conversation_id))
        ids = [m.id for m in messages]
        start = ids.index(since) + 1 if isinstance(since, str) and since in ids else 0
        for message in messages[start:]:
            await socket.send_json(frame(message))
