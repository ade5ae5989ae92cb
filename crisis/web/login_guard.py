"""Throttled logins: failures counted per account and per client address, a bounded number of
password hashes at once, every failure audited and counted.

A password check is argon2 (deliberately costly: tens of milliseconds of CPU and ~64 MiB
each), so a guesser can both try passwords and load the web processes. Before checking:
an account or an address over its failures of the last 15 minutes (Redis, shared by every
process) is refused with 429 and Retry-After, without hashing. While checking: at most
CRISIS_LOGIN_CONCURRENT_HASHES checks run at once per process; a login waiting too long for
one gets 503 and Retry-After. Every checked attempt goes to the audit trail (Accounts.sign_in:
`login` or `login.failed`, the name given, how, the client address). After a failure both
counts go up and `crisis_login_failures_total` counts it. A success clears the account's count.

The per-account limit can be used to lock an operator out for up to 15 minutes by guessing
at their name: the price of stopping a distributed guesser (docs/security.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from aiohttp import web
from prometheus_client import Counter

from crisis.context import Context
from crisis.errors import Busy, RateLimited, Unauthorized
from crisis.rate_limits import WindowLimit
from crisis.types import Principal
from crisis.web.client_address import client_address

WINDOW_S = 15 * 60
HASH_WAIT_S = 10.0

LOGIN_FAILURES = Counter(
    "crisis_login_failures_total",
    "Refused logins, by reason (bad_credentials, throttled, busy).", ["reason"],
)


class LoginGuard:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.per_account = WindowLimit(ctx.redis, settings.login_failures_per_account, WINDOW_S)
        self.per_address = WindowLimit(ctx.redis, settings.login_failures_per_ip, WINDOW_S)
        self.hashes = asyncio.Semaphore(settings.login_concurrent_hashes)

    def _key(self, kind: str, subject: str) -> str:
        digest = hmac.new(self.ctx.secret, f"{kind}:{subject}".encode(), hashlib.sha256)
        return self.ctx.keys.login_failures(kind, digest.hexdigest()[:24])

    async def authenticate(self, request: web.Request, name: str, password: str, *,
                           how: str, code: str = "") -> Principal:
        """The account's principal; RateLimited, Busy or Unauthorized otherwise.

        `how` is the way in, for the audit trail: "session" (the sign-in page) or "api"
        (POST /api/session). A throttled attempt is not audited (it costs the guesser nothing,
        so it could flood the trail): crisis_login_failures_total{reason="throttled"} counts it."""
        name = name[:64]
        address = client_address(request)
        account_key = self._key("account", name.strip().lower())
        address_key = self._key("address", address)
        for limit, key in ((self.per_account, account_key), (self.per_address, address_key)):
            verdict = await limit.check(key)
            if not verdict.allowed:
                LOGIN_FAILURES.labels("throttled").inc()
                minutes = max(1, round(verdict.retry_after_s / 60))
                raise RateLimited(f"too many failed logins: try again in {minutes} min",
                                  retry_after_s=verdict.retry_after_s)
        try:
            async with asyncio.timeout(HASH_WAIT_S):
                await self.hashes.acquire()
        except TimeoutError:
            LOGIN_FAILURES.labels("busy").inc()
            raise Busy("too many logins at once: try again in a few seconds",
                       retry_after_s=5) from None
        try:
            principal = await self.ctx.accounts.sign_in(name, password, address=address, how=how,
                                                        code=code)
        except Unauthorized:  # sign_in has written it to the audit trail
            await self._failed(account_key, address_key)
            raise
        finally:
            self.hashes.release()
        await self.ctx.redis.delete(account_key)
        return principal

    async def _failed(self, account_key: str, address_key: str) -> None:
        LOGIN_FAILURES.labels("bad_credentials").inc()
        await self.per_account.hit(account_key)
        await self.per_address.hit(address_key)


LOGIN_GUARD: web.AppKey[LoginGuard] = web.AppKey("login_guard", LoginGuard)
