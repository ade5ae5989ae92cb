"""The one error hierarchy of the centre: every expected failure is a CrisisError.

Each category says what the caller can do about it; the web middleware maps them to HTTP
statuses and the CLI to exit status 1 with a one-line message.
"""

from __future__ import annotations


class CrisisError(Exception):
    """Root of every expected error. `code` is stable and machine-readable."""

    code = "error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CrisisError):
    """The configuration (environment, .env, files) is wrong; fix it and restart."""

    code = "config"
    http_status = 500


class InvalidInput(CrisisError):
    """The request or file is malformed or out of bounds; correct it and retry."""

    code = "invalid"
    http_status = 400


class NotFound(CrisisError):
    """The named thing does not exist."""

    code = "not_found"
    http_status = 404


class Unauthorized(CrisisError):
    """No valid credentials were given; log in or send a bearer token."""

    code = "unauthorized"
    http_status = 401


class Forbidden(CrisisError):
    """The caller is known but its role does not allow this action."""

    code = "forbidden"
    http_status = 403


class CsrfMismatch(Forbidden):
    """A cookie-authenticated write without the session's CSRF token (an old or forged form)."""


class Conflict(CrisisError):
    """The thing already exists or was changed concurrently; reload and retry."""

    code = "conflict"
    http_status = 409


class InvalidTransition(Conflict):
    """A lifecycle transition not allowed from the current state."""

    code = "invalid_transition"


class TooLarge(InvalidInput):
    """A body or field exceeds its configured bound."""

    code = "too_large"
    http_status = 413


class ChannelError(CrisisError):
    """A provider (Twilio, Telegram, SMTP) failed. `retryable` says whether trying later may work."""

    code = "channel"
    http_status = 502

    def __init__(self, message: str, *, retryable: bool, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s  # the provider's own "retry after" (Telegram, 429)


class RequestTimeout(InvalidInput):
    """The client took too long to send its request body; send it again, faster."""

    code = "timeout"
    http_status = 408


class BuildFailed(CrisisError):
    """A site build did not publish; the previous site is still online. Fix the cause (the
    message names it) and build again."""

    code = "build_failed"
    http_status = 500


class Unavailable(CrisisError):
    """This installation lacks what the feature needs (a system library, an optional
    package); the message says what to install. The rest of the centre works."""

    code = "unavailable"
    http_status = 501


class TryLater(CrisisError):
    """Refused for now: try again after `retry_after_s` seconds (sent as Retry-After)."""

    code = "try_later"
    http_status = 503

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(TryLater):
    """Too many attempts from this caller in a short time."""

    code = "rate_limited"
    http_status = 429


class Busy(TryLater):
    """The server is at its bound for this kind of work; another try will likely succeed."""

    code = "busy"
    http_status = 503
