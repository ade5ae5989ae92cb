"""Accounts, API tokens and login sessions, stored in Redis.

Passwords are hashed with argon2id. Tokens and session ids are random; only their HMAC under
CRISIS_SECRET_KEY is stored, so a copy of the database gives no usable credential.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import re
import secrets

import msgspec
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crisis.audit import add_audit, audit_entry
from crisis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from crisis.events import EventBus, make_event
from crisis.keys import Keys
from crisis.types import Account, ApiToken, Principal, Role, utcnow

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_hasher = PasswordHasher()
# Verifying against this when the account is unknown keeps the timing the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Session(msgspec.Struct, frozen=True):
    name: str
    role: Role
    csrf: str
    created_at: dt.datetime
    restricted: bool = False


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"invalid account name {name!r}: use 1-40 lowercase letters, digits, '.', '_' or '-'"
        )
    return name


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}; roles: {', '.join(r.value for r in Role)}"
        ) from None


def require_role(actor: Principal, needed: Role, doing: str) -> None:
    """Forbidden unless `actor` has at least `needed`."""
    if not actor.role.at_least(needed):
        raise Forbidden(f"{actor.name} ({actor.role.value}) may not {doing}: needs {needed.value}")


class Accounts:
    """Account, token and session storage; every write is audited."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, secret: bytes, bus: EventBus) -> None:
        self.redis = redis
        self.keys = keys
        self.secret = secret
        self.bus = bus

    def _digest(self, raw: str) -> str:
        return hmac.new(self.secret, raw.encode(), hashlib.sha256).hexdigest()

    async def create_account(
        self, name: str, role: Role, password: str, *, actor: Principal,
        expires_at: dt.datetime | None = None, reinforcement: bool = False,
    ) -> Account:
        """A new account; Conflict if the name is taken. Hashing runs off the event loop."""
        require_role(actor, Role.ADMIN, "create accounts")
        check_name(name)
        if reinforcement and (expires_at is None or role is not Role.OPERATOR):
            raise InvalidInput("a reinforcement account is an operator with an expiry date")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        account = Account(name=name, role=role, password_hash=password_hash,
                          created_at=utcnow(), expires_at=expires_at,
                          reinforcement=reinforcement)
        created = await self.redis.set(self.keys.account(name), msgspec.json.encode(account), nx=True)
        if not created:
            raise Conflict(f"account {name!r} already exists")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.accounts, name)
            add_audit(pipe, self.keys, audit_entry(actor, "account.create", name, after=role.value))
            self.bus.add_to(pipe, make_event("account.created", actor=actor.label(),
                                             subject=name, role=role.value))
            await pipe.execute()
        return account

    async def get_account(self, name: str) -> Account:
        raw = await self.redis.get(self.keys.account(name))
        if raw is None:
            raise NotFound(f"no account named {name!r}")
        return msgspec.json.decode(raw, type=Account)

    async def list_accounts(self) -> list[Account]:
        names = sorted(str(n) for n in await self.redis.smembers(self.keys.accounts))
        raws = await self.redis.mget([self.keys.account(n) for n in names]) if names else []
        return [msgspec.json.decode(r, type=Account) for r in raws if r is not None]

    async def authenticate(self, name: str, password: str) -> Principal:
        """The account's principal, or Unauthorized with one message for every failure."""
        failure = Unauthorized("wrong account name or password")
        try:
            account = await self.get_account(name)
        except NotFound:
            await asyncio.to_thread(self._verify, _DUMMY_HASH, password)
            raise failure from None
        if not await asyncio.to_thread(self._verify, account.password_hash, password):
            raise failure
        if account.disabled or (account.expires_at is not None and account.expires_at <= utcnow()):
            raise Unauthorized("this account is disabled or has expired; ask a supervisor")
        return Principal(account.name, account.role, "session", account.reinforcement)

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False

    async def create_token(self, name: str, role: Role, *, actor: Principal) -> str:
        """A new API bearer token; the raw value is returned once and never stored."""
        require_role(actor, Role.ADMIN, "create API tokens")
        check_name(name)
        raw = "crt_" + secrets.token_urlsafe(32)
        token = ApiToken(name=name, role=role, token_hash=self._digest(raw),
                         created_at=utcnow(), created_by=actor.label())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.token(token.token_hash), msgspec.json.encode(token))
            add_audit(pipe, self.keys, audit_entry(actor, "token.create", name, after=role.value))
            await pipe.execute()
        return raw

    async def principal_for_token(self, raw: str) -> Principal | None:
        data = await self.redis.get(self.keys.token(self._digest(raw)))
        if data is None:
            return None
        token = msgspec.json.decode(data, type=ApiToken)
        return Principal(token.name, token.role, "token")

    async def open_session(self, principal: Principal, hours: int) -> tuple[str, Session]:
        """A new login session; returns the raw cookie value and the session (with CSRF token)."""
        raw = secrets.token_urlsafe(32)
        session = Session(principal.name, principal.role, secrets.token_urlsafe(24), utcnow(),
                          principal.restricted)
        await self.redis.set(self.keys.session(self._digest(raw)),
                             msgspec.json.encode(session), ex=hours * 3600)
        return raw, session

    async def get_session(self, raw: str) -> Session | None:
        data = await self.redis.get(self.keys.session(self._digest(raw)))
        return None if data is None else msgspec.json.decode(data, type=Session)

    async def close_session(self, raw: str) -> None:
        await self.redis.delete(self.keys.session(self._digest(raw)))
