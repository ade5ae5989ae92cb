"""The chat's citizen tokens: random, signed with the centre's secret, so a resumed widget
proves it is the same browser without an account (the token is the chat's address)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def issue_token(secret: bytes) -> str:
    raw = secrets.token_urlsafe(18)
    return f"{raw}.{hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()[:16]}"


def valid_token(secret: bytes, token: object) -> bool:
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 64:
        return False
    raw, signature = token.split(".")
    expected = hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()[:16]
    return hmac.compare_digest(signature, expected)
