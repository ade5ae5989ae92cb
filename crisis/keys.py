"""Every Redis key the centre uses, built in one place under one prefix.

| key (after the prefix)          | type   | owner           | lifetime                              |
|---------------------------------|--------|-----------------|---------------------------------------|
| crisis:{id}                     | string | crisis.crises   | forever (JSON of a Crisis)            |
| crises                          | zset   | crisis.crises   | forever (id -> creation time)         |
| crisis-seq                      | string | crisis.crises   | forever (counter for ids)             |
| publication:{id}                | string | crisis.publications | forever (JSON of the latest version) |
| publication:{id}:versions       | list   | crisis.publications | forever (every version, oldest first) |
| publication:{id}:live           | string | crisis.publications | while published or archived (the version shown) |
| publications                    | zset   | crisis.publications | forever (id -> last update time)  |
| publication:{id}:statement      | string | crisis.statements | forever (hash of its latest ledger entry: a removed entry shows) |
| statements                      | stream | crisis.statements | forever, never trimmed (the record of every official statement, chained per publication) |
| account:{name}                  | string | crisis.accounts | until deleted (JSON of an Account)    |
| accounts                        | set    | crisis.accounts | forever (account names)               |
| token:{sha256}                  | string | crisis.accounts | until revoked or expired (JSON of an ApiToken) |
| tokens                          | hash   | crisis.accounts | forever (token sha256 -> name; pruned when listed) |
| session:{sha256}                | string | crisis.accounts | CRISIS_SESSION_HOURS (TTL)            |
| account-sessions:{name}         | set    | crisis.accounts | as long as its newest session (session sha256s, to end them all) |
| events                          | stream | crisis.events   | trimmed to ~100,000 entries (every event but the conversations') |
| events:conversations            | stream | crisis.events   | trimmed to ~100,000 entries (`conversation.*` events) |
| events:dead:{group}             | stream | crisis.events   | until read by a person (events a subscriber group kept failing on) |
| audit                           | stream | crisis.audit    | trimmed to ~1,000,000 entries (archived to files first: crisis.audit_archive) |
| audit:archived                  | string | crisis.audit_archive | forever (the id of the newest entry archived to files) |
| heartbeats:{kind}               | zset   | crisis.heartbeat| process -> expiry (now + 15 s), every 5 s; kind web, worker or events |
| totp-used:{name}                | string | crisis.totp     | 2 min (the last TOTP time step accepted: a code is good once) |
| login-failures:{kind}:{digest}  | string | crisis.web.login_guard | 15 min from the first failure (failed logins per account or per client address; keyed hash) |
| kb:...                          | *      | knowledge_base  | see knowledge_base/keys                |

Keys of one conversation will share a `{hash tag}` so a Redis Cluster keeps them in one slot.
docs/redis-keys.md repeats this table for operators.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Keys:
    """Key builders under `prefix` (CRISIS_REDIS_PREFIX; tests use their own)."""

    prefix: str = "crisis:"

    def crisis(self, crisis_id: str) -> str:
        return f"{self.prefix}crisis:{crisis_id}"

    @property
    def crises(self) -> str:
        return f"{self.prefix}crises"

    @property
    def crisis_seq(self) -> str:
        return f"{self.prefix}crisis-seq"

    def publication(self, publication_id: str) -> str:
        return f"{self.prefix}publication:{publication_id}"

    def publication_versions(self, publication_id: str) -> str:
        return f"{self.prefix}publication:{publication_id}:versions"

    def publication_live(self, publication_id: str) -> str:
        return f"{self.prefix}publication:{publication_id}:live"

    @property
    def statements(self) -> str:
        return f"{self.prefix}statements"

    def statement_head(self, publication_id: str) -> str:
        return f"{self.prefix}publication:{publication_id}:statement"

    @property
    def publications(self) -> str:
        return f"{self.prefix}publications"

    def account(self, name: str) -> str:
        return f"{self.prefix}account:{name}"

    @property
    def accounts(self) -> str:
        return f"{self.prefix}accounts"

    def token(self, token_hash: str) -> str:
        return f"{self.prefix}token:{token_hash}"

    @property
    def tokens(self) -> str:
        return f"{self.prefix}tokens"

    def session(self, session_hash: str) -> str:
        return f"{self.prefix}session:{session_hash}"

    def account_sessions(self, name: str) -> str:
        return f"{self.prefix}account-sessions:{name}"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

    @property
    def conversation_events(self) -> str:
        """The conversations' events (`conversation.*`), apart from the rare crisis-wide ones
        (crisis/events.py)."""
        return f"{self.prefix}events:conversations"

    def dead_letters(self, group: str) -> str:
        """Events a subscriber group kept failing on (crisis/events.py)."""
        return f"{self.prefix}events:dead:{group}"

    @property
    def schema(self) -> str:
        """The stored data's schema version (crisis/schema.py)."""
        return f"{self.prefix}schema"

    @property
    def schema_lock(self) -> str:
        """Held while a migration runs (one process migrates, the others wait)."""
        return f"{self.prefix}schema:lock"

    @property
    def audit(self) -> str:
        return f"{self.prefix}audit"

    @property
    def audit_archived(self) -> str:
        """The newest audit entry `crisis audit archive` has written to files."""
        return f"{self.prefix}audit:archived"

    def heartbeats(self, kind: str) -> str:
        return f"{self.prefix}heartbeats:{kind}"

    def totp_used(self, name: str) -> str:
        """The last TOTP time step accepted for `name`: a code is good once (no replay)."""
        return f"{self.prefix}totp-used:{name}"

    def login_failures(self, kind: str, digest: str) -> str:
        """Failed logins of one account or one client address (`kind`), counted in a window."""
        return f"{self.prefix}login-failures:{kind}:{digest}"

    def scoped(self, owner: str, *parts: str) -> str:
        """A key owned by an edge package (`owner` is its name), e.g. kb:article:x."""
        return ":".join((f"{self.prefix}{owner}", *parts))

    @property
    def rq_queue_prefix(self) -> str:
        """RQ queue names are prefixed too, so two centres can share one Redis."""
        return self.prefix.rstrip(":")
