"""The interfaces edge packages implement: one Protocol per kind of plug (pure, no I/O here).

A channel adapter turns a provider's request into our values in its first function and our
outbound messages into the provider's calls; the router and the console never know which
channel they serve. Adding a channel is a new adapter in channels/<kind>/ and one line in
channels' adapter table.
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


class ChannelAdapter(Protocol):
    """What every channel implements (see tests/channels/test_adapter_contract.py)."""

    kind: ChannelKind

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """Verify the request is the provider's (Forbidden otherwise) and parse its messages
        (InvalidInput if malformed). No side effect."""
        ...

    async def send(self, message: OutboundMessage) -> str:
        """Send one message; returns the provider's id. ChannelError(retryable=...) on failure."""
        ...

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        """A delivery receipt, verified like an inbound request; None when the channel has none."""
        ...
