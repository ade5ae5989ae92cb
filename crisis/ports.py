"""The interfaces edge packages implement: one Protocol per kind of plug (pure, no I/O here).

A channel adapter turns a provider's request into our values in its first function and our
outbound messages into the provider's calls; the router, the desk and the console never know
which channel they serve. Adding a channel is a new adapter in channels/<kind>/, one line in
the adapter table (channels/adapters.py) and one case in the contract suite
(tests/channels/test_adapter_contract.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from crisis.types import ChannelKind, DeliveryStatus, InboundMessage, OutboundMessage


@dataclass(frozen=True)
class InboundRequest:
    """A provider's webhook call, stripped of the web framework."""

    url: str  # the public URL the provider called (CRISIS_PUBLIC_URL + path + query)
    headers: Mapping[str, str]
    form: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    status: DeliveryStatus
    error: str = ""


@dataclass(frozen=True)
class WebhookReply:
    """What the web layer answers the provider's webhook (empty TwiML, an empty 200...)."""

    body: bytes = b""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class Pace:
    """A provider's sending limit: at most `per_second` sends a second for `key`, shared by
    every worker through a Redis counter (Twilio per sender, Telegram overall and per chat)."""

    key: str
    per_second: int


class ChannelAdapter(Protocol):
    """What every channel implements (see tests/channels/test_adapter_contract.py).

    Inbound, a channel comes either by webhook (`inbound_path`, mounted by
    channels/webhooks.py) or its own way (chat's socket, e-mail's SMTP listener), which then
    hands the adapter's parsed messages to the same ConversationStore.receive. Outbound, a
    `queued` channel is sent by the reply job (channels/outbound.py: retries, pacing, the
    delivery recorded); a live one (chat) is handed its message at once by the desk's Outbox.
    """

    # Read-only members: an adapter declares them as plain class attributes.
    @property
    def kind(self) -> ChannelKind: ...

    @property
    def inbound_path(self) -> str | None:
        """POST route of the provider's inbound webhook, if any."""
        ...

    @property
    def status_path(self) -> str | None:
        """POST route of its delivery receipts, if any."""
        ...

    @property
    def queued(self) -> bool:
        """True: sent by the reply job; False: delivered at once in the web process."""
        ...

    @property
    def replies_in_acknowledgement(self) -> bool:
        """True when `acknowledge`'s notice reaches the sender as a message (TwiML's
        <Message>): the webhook can then answer at once, without Redis or a provider call
        (degraded mode, channels/degraded.py). False: a notice would be dropped."""
        ...

    @property
    def headers(self) -> tuple[str, ...]:
        """The request headers parse_inbound and parse_delivery read."""
        ...

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """Verify the request is the provider's (Forbidden otherwise) and parse its messages
        (InvalidInput if malformed). No side effect."""
        ...

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        """The webhook's answer to the request that carried `messages`; `notice`, when given,
        is a short text for the sender that the channel can carry in the answer itself
        (TwiML's <Message>, see `replies_in_acknowledgement`), else it is dropped."""
        ...

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        """A delivery receipt, verified like an inbound request; None when there is none."""
        ...

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        """The limits a send of `message` counts against (none for a live channel)."""
        ...

    async def send(self, message: OutboundMessage) -> str:
        """Send one message; returns the provider's id. ChannelError(retryable=...) on
        failure (with retry_after_s when the provider said how long to wait)."""
        ...

    async def aclose(self) -> None:
        """Release the provider clients (HTTP sessions, SMTP connections)."""
        ...
