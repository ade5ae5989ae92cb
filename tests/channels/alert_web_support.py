"""The alert routes mounted into the app under test, as the composition root will mount them
(channels.setup calls setup_alert_web; until it does, the tests wrap it the same way)."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import channels
from channels.alerts.web import ALERT_WEB, setup_alert_web


def mount_alert_web(monkeypatch: pytest.MonkeyPatch) -> None:
    original = channels.setup

    def setup(app: Any, ctx: Any, kb: Any) -> None:
        original(app, ctx, kb)
        if ALERT_WEB not in app:
            setup_alert_web(app, ctx)
    # Routes resolve in the order they were added: ours come before the site's catch-all,
    # which static_site.setup adds after channels.setup.
    monkeypatch.setattr(channels, "setup", setup)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def browser_subscription(endpoint: str = "") -> dict[str, Any]:
    """A PushSubscription as a browser gives it (real P-256 key, 16-byte auth)."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint or f"https://fcm.googleapis.com/fcm/send/{b64url(os.urandom(9))}",
            "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}}
