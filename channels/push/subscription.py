"""A browser's PushSubscription, checked before it is stored and turned into an address.

The address kept by channels/alerts/subscriptions.py is the subscription's canonical JSON
(endpoint and keys, sorted, no spaces): the same browser subscription always gives the same
address, hence the same citizen id, so subscribing again replaces and unsubscribing with
the same object finds it. The endpoint must be https and on a known push service
(CRISIS_PUSH_SERVICES): the centre POSTs to it, and an anonymous caller must not be able
to point the workers at an address of its choosing (an internal host, a third party).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from crisis.errors import InvalidInput

MAX_ENDPOINT = 2048


def b64url_decode(text: Any) -> bytes:
    """Base64url with or without padding; InvalidInput when it is not."""
    if not isinstance(text, str) or len(text) > 200:
        raise InvalidInput("a subscription key must be a short base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("a subscription key is not base64url") from None


def host_allowed(host: str, services: Iterable[str]) -> bool:
    """`host` is one of `services` or under one of its `.domain` suffixes."""
    host = host.lower().rstrip(".")
    return any(host == s or (s.startswith(".") and host.endswith(s)) for s in services)


def check_endpoint(endpoint: Any, services: Iterable[str]) -> str:
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise InvalidInput(f"subscription.endpoint must be an https URL of at most "
                           f"{MAX_ENDPOINT} characters")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise InvalidInput("subscription.endpoint is not a valid URL") from None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("subscription.endpoint must be an https:// URL without credentials")
    if port not in (None, 443) or not host_allowed(parts.hostname, services):
        raise InvalidInput("subscription.endpoint is not on a known push service "
                           "(the browser's own push service gives it)")
    return endpoint


def canonical_subscription(value: Any, services: Iterable[str]) -> str:
    """The address of a PushSubscription (`pushSubscription.toJSON()`): its canonical JSON.
    InvalidInput naming what is wrong: endpoint not https or not a push service's, p256dh not
    a P-256 public point, auth not 16 bytes."""
    if not isinstance(value, dict):
        raise InvalidInput("subscription must be the browser's PushSubscription as JSON")
    endpoint = check_endpoint(value.get("endpoint"), services)
    keys = value.get("keys")
    if not isinstance(keys, dict):
        raise InvalidInput("subscription.keys must hold p256dh and auth")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = b64url_decode(p256dh)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("subscription.keys.p256dh is not a P-256 public key") from None
    if len(point) != 65:
        raise InvalidInput("subscription.keys.p256dh must be an uncompressed P-256 point")
    if len(b64url_decode(auth)) != 16:
        raise InvalidInput("subscription.keys.auth must be 16 bytes in base64url")
    return json.dumps({"endpoint": endpoint, "keys": {"auth": auth, "p256dh": p256dh}},
                      sort_keys=True, separators=(",", ":"))


def stored_subscription(address: str) -> dict[str, Any]:
    """The subscription behind a stored address (already checked when it was stored)."""
    value = json.loads(address)
    if not isinstance(value, dict) or "endpoint" not in value or "keys" not in value:
        raise ValueError("not a push subscription")
    return value
