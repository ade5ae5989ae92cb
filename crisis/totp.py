"""The second factor of an account: TOTP codes (RFC 6238) from any authenticator app.

Optional per account, and meant for the cell and administrators, whose accounts publish to the
whole country: `crisis users totp NAME` gives the account a secret and prints the otpauth://
URI to scan once. A sign-in of such an account needs the current 6-digit code besides the
password; a code is accepted once (the last accepted time step is kept) and one step of clock
drift either way is tolerated.
"""

from __future__ import annotations

import time

import pyotp
import redis.asyncio as aioredis

from crisis.keys import Keys

ISSUER = "Centre de crise"
STEP_S = 30
USED_TTL_S = 120


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, name: str) -> str:
    """What an authenticator app scans (or what is typed into it)."""
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)


def code_now(secret: str) -> str:
    """The current code (for tests and the command line's check)."""
    return pyotp.TOTP(secret).now()


async def accept_code(redis: aioredis.Redis, keys: Keys, name: str, secret: str,
                      code: str) -> bool:
    """Whether `code` is the account's current code (one step of drift either way), not used
    before; an accepted code cannot be used again."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    now = time.time()
    for drift in (0, -1, 1):
        step = int(now // STEP_S) + drift
        if totp.verify(code, for_time=step * STEP_S, valid_window=0):
            last = await redis.get(keys.totp_used(name))
            if last is not None and int(last) >= step:
                return False  # replayed, or an older code after a newer one
            await redis.set(keys.totp_used(name), step, ex=USED_TTL_S)
            return True
    return False
