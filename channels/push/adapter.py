"""The Web Push adapter: an alert to a browser through its push service, VAPID-signed and
encrypted (RFC 8030, 8291, 8292), with pywebpush's asyncio sender on one aiohttp session.

The address is the subscription's canonical JSON (channels/push/subscription.py). The payload
is `{"title", "body", "url"}` (the service worker shows it and opens the URL on click). Each
request carries a TTL (how long the push service keeps it for an offline browser), `Urgency:
high`, and a `Topic` derived from the message id, so a resend of the same alert replaces one
not yet shown instead of stacking.

Answers: 201 sent; 404/410 the subscription is gone (SubscriptionGone, `reason` "gone": the
caller deletes it); 429 and 5xx retryable (with the service's Retry-After); any other 4xx
is our fault or the subscription's and will not mend by retrying.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from typing import Any, cast
from urllib.parse import urlsplit

import aiohttp
from pywebpush import WebPusher, WebPushException

from channels.alerts.subscriptions import PUSH
from channels.push.subscription import stored_subscription
from channels.push.vapid import VapidKeys, load_vapid_keys
from crisis.errors import ChannelError
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, OutboundMessage

SEND_TIMEOUT_S = 30.0
JWT_LIFETIME_S = 12 * 3600  # RFC 8292 allows up to 24 h; pywebpush's own default
JWT_RENEW_S = 3600  # sign again when the cached token has less than this left
MAX_PAYLOAD = 3000  # bytes of JSON; push services take 4096 encrypted


class SubscriptionGone(ChannelError):
    """The push service says the subscription no longer exists (404/410): delete it."""

    reason = "gone"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def topic_of(message: OutboundMessage) -> str:
    """A Topic header (at most 32 base64url characters) the same for every resend of one
    message: the push service replaces an undelivered one with the same topic."""
    seed = message.thread.get("topic") or f"{message.conversation_id}/{message.message_id}"
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()[:32]


def payload_of(message: OutboundMessage) -> bytes:
    """What the service worker reads: title, body, url (cut to fit the push size limit)."""
    title = message.thread.get("title") or ("Alerte" if message.lang == "fr" else "Alert")
    data = {"title": title[:120], "body": message.text[:1500], "url": message.thread.get("url", "/"),
            "lang": message.lang}
    encoded = json.dumps(data, ensure_ascii=False).encode()
    while len(encoded) > MAX_PAYLOAD:  # multi-byte text: shorten the body until it fits
        data["body"] = data["body"][: len(data["body"]) * 3 // 4]
        encoded = json.dumps(data, ensure_ascii=False).encode()
    return encoded


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


class WebPush:
    # ChannelKind has no PUSH value yet (crisis/types.py): the string stands in for it.
    kind = cast(ChannelKind, PUSH)
    inbound_path: str | None = None  # a browser never writes back through its push service
    status_path: str | None = None
    queued = True
    replies_in_acknowledgement = False
    headers: tuple[str, ...] = ()

    def __init__(self, settings: Settings, keys: VapidKeys | None = None) -> None:
        self.keys = keys or load_vapid_keys(settings)
        self.ttl = settings.push_ttl_s
        self.concurrency = settings.push_concurrency
        self._tokens: dict[str, tuple[dict[str, str], float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(self.concurrency)

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        return []

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        return WebhookReply()

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        return None

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        # Each push service is its own provider with its own limits (it answers 429 when
        # pressed): the bound is the concurrency per process, not a shared rate.
        return ()

    def vapid_headers(self, endpoint: str) -> dict[str, str]:
        """`Authorization: vapid t=<JWT>,k=<public key>` for the endpoint's origin, signed
        once per origin and reused until an hour before it expires."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        cached = self._tokens.get(audience)
        now = time.time()
        if cached is None or cached[1] - now < JWT_RENEW_S:
            expires = now + JWT_LIFETIME_S
            signed = self.keys.signer.sign({"aud": audience, "exp": int(expires),
                                            "sub": self.keys.subject})
            cached = ({"Authorization": str(signed["Authorization"])}, expires)
            self._tokens[audience] = cached
        return dict(cached[0])

    def _bind(self) -> aiohttp.ClientSession:
        """The session and the slots of the running loop (an RQ job may bring a new one)."""
        loop = asyncio.get_running_loop()
        if self._session is None or loop is not self._loop or self._session.closed:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S),
                connector=aiohttp.TCPConnector(limit=self.concurrency))
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._session

    async def send(self, message: OutboundMessage) -> str:
        """Encrypt and post one alert; returns the push service's message URL (Location)."""
        try:
            subscription: dict[str, Any] = stored_subscription(message.address)
            pusher = WebPusher(subscription, aiohttp_session=self._bind())
            headers = {**self.vapid_headers(subscription["endpoint"]),
                       "Topic": topic_of(message), "Urgency": "high"}
        except (ValueError, TypeError, KeyError, WebPushException) as err:
            raise ChannelError(f"not a usable push subscription: {err}", retryable=False) from err
        try:
            async with self._slots:
                response = await pusher.send_async(
                    payload_of(message), headers, ttl=self.ttl,
                    timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S))
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            raise ChannelError(f"the push service is unreachable: {err}", retryable=True) from err
        return self._outcome(response.status, response.headers, message)

    @staticmethod
    def _outcome(status: int, headers: Any, message: OutboundMessage) -> str:
        if status in (200, 201, 202):
            return str(headers.get("Location") or message.message_id)
        if status in (404, 410):
            raise SubscriptionGone(f"the push subscription is gone ({status})")
        if status == 429 or status >= 500:
            raise ChannelError(f"the push service is busy ({status})", retryable=True,
                               retry_after_s=_retry_after(headers.get("Retry-After")))
        raise ChannelError(f"the push service refused the alert ({status})", retryable=False)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            if self._loop is asyncio.get_running_loop():
                await session.close()
