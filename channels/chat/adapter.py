"""The web chat as a channel adapter: frames in, published messages out.

The chat has no provider: a citizen's frame arrives on our own WebSocket (channels/chat/
socket.py), signed by the token we issued; an outbound message is published on the citizen's
Redis channel and the web process that holds their socket delivers it (so any web process
can answer any citizen). It is a live channel: the desk hands it its messages at once.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from channels.answer_forms import message_html
from channels.chat.tokens import valid_token
from channels.keys import ChannelKeys
from crisis.errors import Forbidden, InvalidInput
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.types import (
    ChannelKind, Direction, InboundMessage, Message, OutboundMessage, utcnow,
)

MAX_TEXT = 1000
MAX_CLIENT_ID = 64


def frame(message: Message) -> dict[str, Any]:
    """A message as the chat widget shows it."""
    return {"type": "message", "id": message.id, "text": message.text,
            "html": message_html(message, ChannelKind.CHAT),
            "author": "citizen" if message.author == "citizen" else
            "auto" if message.author == "auto" else "operator",
            "at": message.at.isoformat(),
            # The citizen's own messages carry the id their browser chose, so a resumed
            # page recognises what it already shows.
            "client_id": message.provider_id if message.author == "citizen" else None}


class WebChat:
    kind = ChannelKind.CHAT
    inbound_path = None  # frames come on the socket (channels/chat/socket.py)
    status_path = None
    queued = False
    replies_in_acknowledgement = False
    headers = ()

    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys, secret: bytes) -> None:
        self.redis = redis
        self.k = keys
        self.secret = secret

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """A message frame, {"token", "id", "text", "lang"}, as JSON in the body."""
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("the frame is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidInput("the frame must be a JSON object")
        if not valid_token(self.secret, data.get("token")):
            raise Forbidden("unknown chat token")
        client_id, text = str(data.get("id", ""))[:MAX_CLIENT_ID], str(data.get("text", "")).strip()
        if not client_id or not text:
            raise InvalidInput("id and text are required")
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"message too long (max {MAX_TEXT})")
        return [InboundMessage(channel=ChannelKind.CHAT, address=str(data["token"]), text=text,
                               provider_id=client_id, received_at=utcnow(),
                               lang="en" if data.get("lang") == "en" else "fr")]

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        ids = [m.provider_id for m in messages]
        return WebhookReply(json.dumps({"type": "ack", "id": ids[0] if ids else ""}).encode(),
                            "application/json")

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        return None  # the socket acknowledges nothing back: the widget replays on reconnect

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        return ()

    async def send(self, message: OutboundMessage) -> str:
        """Publish; the process holding the citizen's socket delivers. No provider id."""
        shown = Message(id=message.message_id, direction=Direction.OUTBOUND, text=message.text,
                        at=utcnow(), author=message.author, article_id=message.article_id)
        await self.redis.publish(self.k.chat(message.citizen), json.dumps(frame(shown)))
        return ""

    async def aclose(self) -> None:
        return None
