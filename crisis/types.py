"""The centre's vocabulary: domain values shared by every package (imports nothing of ours)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import msgspec

LANGS: tuple[str, ...] = ("fr", "en")
"""Languages the centre speaks, French first (the reference text)."""


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (every stored time is UTC)."""
    return dt.datetime.now(dt.timezone.utc)


class Role(StrEnum):
    """What an account may do; each role includes the ones before it."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    CELL = "cell"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class CrisisState(StrEnum):
    PREPARED = "prepared"
    ACTIVE = "active"
    DE_ESCALATING = "de-escalating"
    CLOSED = "closed"


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"  # its crisis was closed: still online, marked as no longer in force


class ArticleStatus(StrEnum):
    """A knowledge-base article's state (knowledge_base/lifecycle.py holds its transitions)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class ChannelKind(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    CHAT = "chat"
    TELEGRAM = "telegram"
    EMAIL = "email"


class ConversationStatus(StrEnum):
    NEW = "new"
    AUTO_ANSWERED = "auto-answered"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    WAITING_CITIZEN = "waiting-citizen"
    CLOSED = "closed"


class Text(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A text in French (the reference) with its translations."""

    fr: str
    en: str = ""

    def in_lang(self, lang: str) -> str:
        """The text in `lang`, falling back to French when no translation exists."""
        value = getattr(self, lang, "") if lang in LANGS else ""
        return value or self.fr


class Level(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    level: int
    name: Text
    description: Text


class Instruction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A default safety instruction of a scenario; becomes a publication at activation."""

    slug: str
    priority: Priority
    title: Text
    body: Text


class Scenario(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A prepared crisis template (shipped as TOML in crisis/scenarios/)."""

    id: str
    kind: str
    icon: str
    title: Text
    summary: Text
    kb_tags: tuple[str, ...]
    watch_keywords: tuple[str, ...]
    urgent_keywords: tuple[str, ...]
    sms_keywords: tuple[str, ...]
    ivr_greeting: Text
    levels: tuple[Level, ...]
    instructions: tuple[Instruction, ...]
    # The IVR's menu as read after the instructions (1 repeat, 2 SMS, 3 question, 4 person,
    # 9 English); the telephone's own wording when a scenario has none.
    ivr_menu: Text | None = None


class Crisis(msgspec.Struct, frozen=True, kw_only=True):
    """One crisis: a scenario applied to areas, with its lifecycle state."""

    id: str
    scenario_id: str
    title: str
    level: int
    areas: tuple[str, ...]
    state: CrisisState
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    version: int = 1


class Publication(msgspec.Struct, frozen=True, kw_only=True):
    """A validated official message; the same version is shown by every channel."""

    id: str
    title: str
    body: str
    lang: str
    priority: Priority
    status: PublicationStatus
    crisis_id: str | None = None
    areas: tuple[str, ...] = ()
    easy_read: str = ""
    push: bool = False  # broadcast to the alert subscribers of its areas once published
    sms: str = ""  # the essential sentence (alerts by SMS, Telegram, push)
    version: int = 1
    drafted_by: str
    drafted_at: dt.datetime
    validated_by: str | None = None
    validated_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    withdraw_reason: str = ""
    archived_at: dt.datetime | None = None
    updated_at: dt.datetime


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """A person who logs in to the console or the cell's pages."""

    name: str
    role: Role
    password_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    disabled: bool = False
    # Reinforcement staff (seconded, volunteers): time-limited, may only send validated
    # knowledge-base answers, never free text.
    reinforcement: bool = False
    # The TOTP second factor's secret (base32), when the account has one (crisis/totp.py).
    totp_secret: str | None = None


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token for scripts; only its SHA-256 is stored."""

    name: str
    role: Role
    token_hash: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None = None  # tokens made before expiry existed have none


class Principal(msgspec.Struct, frozen=True):
    """Who is acting: an account, a token or the local command line."""

    name: str
    role: Role
    via: str = "session"
    restricted: bool = False  # a reinforcement account: validated answers only

    def label(self) -> str:
        """How the audit trail names this actor."""
        return f"{self.via}:{self.name}"


class EventType(StrEnum):
    """Every event on the bus: producers and subscribers name them from here, never as bare
    strings (docs/architecture.md lists who produces and who listens to each)."""

    CRISIS_CREATED = "crisis.created"
    CRISIS_ACTIVATED = "crisis.activated"
    CRISIS_LEVEL_CHANGED = "crisis.level_changed"
    CRISIS_DE_ESCALATING = "crisis.de_escalating"
    CRISIS_RE_ESCALATED = "crisis.re_escalated"
    CRISIS_CLOSED = "crisis.closed"
    PUBLICATION_DRAFTED = "publication.drafted"
    PUBLICATION_SUBMITTED = "publication.submitted"
    PUBLICATION_VALIDATED = "publication.validated"
    PUBLICATION_PUBLISHED = "publication.published"
    PUBLICATION_WITHDRAWN = "publication.withdrawn"
    PUBLICATION_ARCHIVED = "publication.archived"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_DISABLED = "account.disabled"
    CONVERSATION_MESSAGE_RECEIVED = "conversation.message_received"
    CONVERSATION_AUTO_ANSWERED = "conversation.auto_answer"
    CONVERSATION_QUEUED = "conversation.queue"
    CONVERSATION_ASSIGNED = "conversation.assign"
    CONVERSATION_REPLIED = "conversation.reply"
    CONVERSATION_CITIZEN_REPLIED = "conversation.citizen_reply"
    CONVERSATION_REQUEUED = "conversation.requeue"
    CONVERSATION_CLOSED = "conversation.close"
    CONVERSATION_TRANSFERRED = "conversation.transferred"
    KB_ARTICLE_DRAFTED = "kb.article_drafted"
    KB_ARTICLE_SUBMITTED = "kb.article_submitted"
    KB_ARTICLE_VALIDATED = "kb.article_validated"
    KB_ARTICLE_PUBLISHED = "kb.article_published"
    KB_ARTICLE_REJECTED = "kb.article_rejected"
    KB_ARTICLE_ARCHIVED = "kb.article_archived"
    KB_ALTERNATE_PROPOSED = "kb.alternate_proposed"
    KB_ALTERNATE_VALIDATED = "kb.alternate_validated"
    KB_ALTERNATE_REJECTED = "kb.alternate_rejected"
    KB_IMPORTED = "kb.imported"
    KB_SYNONYMS_CHANGED = "kb.synonyms_changed"
    KB_THRESHOLD_CHANGED = "kb.threshold_changed"


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Something that happened, carried on the event stream (who, when, why)."""

    type: str
    at: dt.datetime
    actor: str
    subject: str
    reason: str = ""
    data: dict[str, Any] = {}


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One write through the API or the CLI, or one sign-in attempt."""

    at: dt.datetime
    actor: str
    action: str
    target: str
    before: str | None = None
    after: str | None = None
    # The client's address, for sign-ins (request.remote: the proxy's peer, see docs/security.md).
    address: str | None = None


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class DeliveryStatus(StrEnum):
    """Where an outbound message is (Twilio's vocabulary, shared by every channel)."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    RECEIVED = "received"  # inbound messages


class OperatorStatus(StrEnum):
    AVAILABLE = "available"
    PAUSE = "pause"
    OFFLINE = "offline"


class InstantReply(msgspec.Struct, frozen=True, kw_only=True):
    """An automatic answer the citizen already got in the webhook's own response, given while
    Redis was unreachable (degraded mode, channels/degraded.py): recorded when the message
    is replayed from the spool, never sent again."""

    text: str
    article_id: str | None = None


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's message as any channel adapter hands it to the router."""

    channel: ChannelKind
    address: str  # normalised: E.164 phone number, chat token, Telegram chat id, e-mail
    text: str
    provider_id: str  # the provider's id (MessageSid...), used to drop retried duplicates
    received_at: dt.datetime
    lang: str = "fr"
    attachments: tuple[str, ...] = ()
    # What the channel needs to answer in the same thread, kept with the message and handed
    # back to its adapter with every reply (an e-mail's Message-ID, References and subject).
    thread: dict[str, str] = msgspec.field(default_factory=dict)
    answered: InstantReply | None = None  # what the webhook already answered (degraded mode)


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message of a conversation, either way."""

    id: str
    direction: Direction
    text: str
    at: dt.datetime
    author: str  # "citizen", "auto" (knowledge base) or the operator's name
    provider_id: str = ""
    status: DeliveryStatus = DeliveryStatus.RECEIVED
    article_id: str | None = None
    attachments: tuple[str, ...] = ()
    thread: dict[str, str] = msgspec.field(default_factory=dict)  # see InboundMessage.thread
    answered: InstantReply | None = None  # see InboundMessage.answered


class Conversation(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's exchange on one channel, from first message to closing."""

    id: str
    channel: ChannelKind
    citizen: str  # the citizen id (one per person across channels), never the raw address
    address_masked: str
    status: ConversationStatus
    lang: str = "fr"
    area: str | None = None
    tags: tuple[str, ...] = ()
    topic: str = ""  # the routing topic (a preference skill): guessed, or set by an operator
    priority: int = 0  # 1 = urgent (matched an urgent keyword), 0 = normal
    operator: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    first_human_reply_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    wrap_up: str = ""
    transitions: tuple[tuple[str, dt.datetime], ...] = ()
    # The articles offered with the queue notice ("reply with its number"), best first: a
    # queued citizen's bare number picks one (channels/inbound.py, `_chosen`).
    choices: tuple[str, ...] = ()


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What a channel adapter must send."""

    channel: ChannelKind
    address: str
    text: str
    conversation_id: str
    message_id: str
    bulk: bool = False
    lang: str = "fr"
    author: str = "auto"  # "auto" (knowledge base) or the operator's name
    citizen: str = ""  # the citizen id: what live channels (chat, a call) route by
    article_id: str | None = None  # an answer from the knowledge base ("was it useful?")
    thread: dict[str, str] = msgspec.field(default_factory=dict)  # the citizen's last message's
