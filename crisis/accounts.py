"""Accounts, API tokens and login sessions, stored in Redis.

Passwords are hashed with argon2id. Tokens and session ids are random; only their HMAC under
CRISIS_SECRET_KEY is stored, so a copy of the database gives no usable credential.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets

import msgspec
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crisis.audit import add_audit, audit_entry, sign_in_entry, write_audit
from crisis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from crisis.events import EventBus, make_event
from crisis.keys import Keys
from crisis.password_policy import MAX_PASSWORD, check_new_password
from crisis.totp import accept_code, new_secret
from crisis.types import Account, ApiToken, EventType, Principal, Role, utcnow

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account is unknown, so the timing is the same either way.

    Made on first use, not at import: an argon2 hash costs tens of milliseconds that every
    `crisis` command would pay.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


class Session(msgspec.Struct, frozen=True):
    name: str
    role: Role
    csrf: str
    created_at: dt.datetime
    restricted: bool = False
    # The account's own expiry (reinforcement staff): the session ends with the account.
    account_expires_at: dt.datetime | None = None

    def is_current(self, now: dt.datetime) -> bool:
        return self.account_expires_at is None or now < self.account_expires_at


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"invalid account name {name!r}: use 1-40 lowercase letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str, name: str = "") -> None:
    """The policy for a password being chosen (crisis.password_policy); not used at sign-in,
    so passwords set under the older 10-character rule keep working until changed."""
    check_new_password(password, name)


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
        check_password(password, name)
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
            self.bus.add_to(pipe, make_event(EventType.ACCOUNT_CREATED, actor=actor.label(),
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

    async def authenticate(self, name: str, password: str, code: str = "") -> Principal:
        """The account's principal, or Unauthorized with one message for every failure of the
        password; an account with a second factor also needs its current TOTP `code`."""
        failure = Unauthorized("wrong account name or password")
        try:
            account = await self.get_account(name)
        except NotFound:
            await asyncio.to_thread(self._verify, _dummy_hash(), password)
            raise failure from None
        if not await asyncio.to_thread(self._verify, account.password_hash, password):
            raise failure
        if account.disabled or (account.expires_at is not None and account.expires_at <= utcnow()):
            raise Unauthorized("this account is disabled or has expired; ask a supervisor")
        if account.totp_secret is not None and not await accept_code(
                self.redis, self.keys, account.name, account.totp_secret, code):
            raise Unauthorized("this account needs the 6-digit code of its authenticator app "
                               "(a code works once: wait for the next one)")
        return Principal(account.name, account.role, "session", account.reinforcement)

    async def sign_in(self, name: str, password: str, *, address: str | None,
                      how: str, code: str = "") -> Principal:
        """`authenticate`, with the attempt written to the audit trail, success or failure:
        the name given, `how` (session: the sign-in page; api: POST /api/session), the
        client's address and the outcome. Unauthorized as `authenticate`."""
        try:
            principal = await self.authenticate(name, password, code)
        except Unauthorized as err:
            await write_audit(self.redis, self.keys,
                              sign_in_entry(name, how, address, ok=False, detail=err.message))
            raise
        await write_audit(self.redis, self.keys,
                          sign_in_entry(name, how, address, ok=True, detail=principal.role.value))
        return principal

    async def set_totp(self, name: str, *, enable: bool, actor: Principal) -> str | None:
        """Give `name` a new TOTP secret (returned once, to show as a URI), or remove it."""
        require_role(actor, Role.ADMIN, "set second factors")
        account = await self.get_account(name)
        secret = new_secret() if enable else None
        changed = msgspec.structs.replace(account, totp_secret=secret)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.account(name), msgspec.json.encode(changed))
            add_audit(pipe, self.keys, audit_entry(actor, "account.totp", name,
                                                   after="on" if enable else "off"))
            await pipe.execute()
        return secret

    async def set_password(self, name: str, password: str, *, actor: Principal) -> Account:
        """A new password for `name`; its open sessions end (whoever knew the old one is out)."""
        require_role(actor, Role.ADMIN, "change passwords")
        check_password(password, name)
        account = await self.get_account(name)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        changed = msgspec.structs.replace(account, password_hash=password_hash)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.account(name), msgspec.json.encode(changed))
            await self._end_sessions(pipe, name)
            add_audit(pipe, self.keys, audit_entry(actor, "account.passwd", name))
            await pipe.execute()
        return changed

    async def disable_account(self, name: str, *, actor: Principal) -> tuple[Account, int]:
        """Disable `name` and end at once its sessions and every API token of that name.

        Returns the account and how many tokens were revoked.
        """
        require_role(actor, Role.ADMIN, "disable accounts")
        account = await self.get_account(name)
        disabled = msgspec.structs.replace(account, disabled=True)
        token_hashes = await self._token_hashes_of(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.account(name), msgspec.json.encode(disabled))
            await self._end_sessions(pipe, name)
            self._delete_tokens(pipe, token_hashes)
            add_audit(pipe, self.keys, audit_entry(actor, "account.disable", name))
            self.bus.add_to(pipe, make_event(EventType.ACCOUNT_DISABLED, actor=actor.label(),
                                             subject=name))
            await pipe.execute()
        return disabled, len(token_hashes)

    async def _end_sessions(self, pipe: aioredis.client.Pipeline, name: str) -> None:
        """Queue the deletion of every open session of `name` on `pipe`."""
        index = self.keys.account_sessions(name)
        hashes = [str(h) for h in await self.redis.smembers(index)]
        if hashes:
            pipe.delete(*[self.keys.session(h) for h in hashes])
        pipe.delete(index)

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False

    async def create_token(self, name: str, role: Role, *, actor: Principal,
                           expires_days: int | None = 90) -> str:
        """A new API bearer token; the raw value is returned once and never stored.

        It stops working after `expires_days` (None: never); Redis drops it then.
        """
        require_role(actor, Role.ADMIN, "create API tokens")
        check_name(name)
        raw = "crt_" + secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + dt.timedelta(days=expires_days) if expires_days else None
        token = ApiToken(name=name, role=role, token_hash=self._digest(raw),
                         created_at=now, created_by=actor.label(), expires_at=expires_at)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.token(token.token_hash), msgspec.json.encode(token),
                     exat=expires_at)
            pipe.hset(self.keys.tokens, token.token_hash, name)
            add_audit(pipe, self.keys, audit_entry(actor, "token.create", name, after=role.value))
            await pipe.execute()
        return raw

    async def list_tokens(self) -> list[ApiToken]:
        """Every live token (expired ones leave the index as they are found), by name."""
        hashes = [str(h) for h in await self.redis.hkeys(self.keys.tokens)]
        raws = await self.redis.mget([self.keys.token(h) for h in hashes]) if hashes else []
        gone = [h for h, raw in zip(hashes, raws) if raw is None]
        if gone:
            await self.redis.hdel(self.keys.tokens, *gone)
        tokens = [msgspec.json.decode(r, type=ApiToken) for r in raws if r is not None]
        return sorted(tokens, key=lambda t: (t.name, t.created_at))

    async def revoke_tokens(self, name: str, *, actor: Principal) -> int:
        """Revoke every token named `name` at once; returns how many there were."""
        require_role(actor, Role.ADMIN, "revoke API tokens")
        hashes = await self._token_hashes_of(name)
        if not hashes:
            raise NotFound(f"no API token named {name!r} (see `crisis tokens list`)")
        async with self.redis.pipeline(transaction=True) as pipe:
            self._delete_tokens(pipe, hashes)
            add_audit(pipe, self.keys, audit_entry(actor, "token.revoke", name,
                                                   after=str(len(hashes))))
            await pipe.execute()
        return len(hashes)

    async def _token_hashes_of(self, name: str) -> list[str]:
        index = await self.redis.hgetall(self.keys.tokens)
        return [str(h) for h, owner in index.items() if str(owner) == name]

    def _delete_tokens(self, pipe: aioredis.client.Pipeline, hashes: list[str]) -> None:
        if hashes:
            pipe.delete(*[self.keys.token(h) for h in hashes])
            pipe.hdel(self.keys.tokens, *hashes)

    async def principal_for_token(self, raw: str) -> Principal | None:
        data = await self.redis.get(self.keys.token(self._digest(raw)))
        if data is None:
            return None
        token = msgspec.json.decode(data, type=ApiToken)
        if token.expires_at is not None and token.expires_at <= utcnow():
            return None  # Redis drops it at that second; this covers clock skew between the two
        return Principal(token.name, token.role, "token")

    async def open_session(self, principal: Principal, hours: int) -> tuple[str, Session]:
        """A new login session; returns the raw cookie value and the session (with CSRF token).

        The session carries the account's expiry, and joins the account's index of sessions
        so that disabling the account or changing its password ends it at once.
        """
        stored = await self.redis.get(self.keys.account(principal.name))
        expires_at = None if stored is None else msgspec.json.decode(stored, type=Account).expires_at
        raw = secrets.token_urlsafe(32)
        digest = self._digest(raw)
        session = Session(principal.name, principal.role, secrets.token_urlsafe(24), utcnow(),
                          principal.restricted, expires_at)
        index = self.keys.account_sessions(principal.name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.session(digest), msgspec.json.encode(session), ex=hours * 3600)
            pipe.sadd(index, digest)
            pipe.expire(index, hours * 3600)
            await pipe.execute()
        return raw, session

    async def get_session(self, raw: str) -> Session | None:
        """The session of this cookie, or None: unknown, ended, or its account has expired."""
        data = await self.redis.get(self.keys.session(self._digest(raw)))
        if data is None:
            return None
        session = msgspec.json.decode(data, type=Session)
        return session if session.is_current(utcnow()) else None

    async def close_session(self, raw: str) -> None:
        digest = self._digest(raw)
        data = await self.redis.get(self.keys.session(digest))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.session(digest))
            if data is not None:
                name = msgspec.json.decode(data, type=Session).name
                pipe.srem(self.keys.account_sessions(name), digest)
            await pipe.execute()
