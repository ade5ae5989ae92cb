"""The Twilio Voice adapter: verifies and parses the IVR's webhooks, calls the REST API.

A webhook's form becomes a `CallTurn` (our value) in the first function; the REST calls
(place a callback, redirect a queued caller to an operator, size a queue) are blocking
(the twilio client uses requests): callers run them in a thread or an RQ job.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.addresses import normalise_address
from channels.sms.signature import TwilioSignature
from crisis.errors import ChannelError, ConfigError, CrisisError, Forbidden, InvalidInput
from crisis.ports import DeliveryReport, InboundRequest
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, utcnow

T = TypeVar("T")

MAX_SPEECH_CHARS = 1000
ANONYMOUS = "anonymous"
# Twilio's stand-ins for a hidden caller id.
_HIDDEN = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687",
                     "+7378742833", "+2562533", "+86282452253", "+8656696"})


@dataclasses.dataclass(frozen=True)
class CallTurn:
    """One webhook of a call, as our value (only the fields the IVR reads)."""

    sid: str
    caller: str  # E.164, or "" when hidden (no SMS, no callback)
    status: str = ""
    digits: str = ""
    speech: str = ""
    queue_result: str = ""
    queue_time_s: int = 0
    queue_position: int = 0
    queue_sid: str = ""
    dial_status: str = ""
    dial_duration_s: int = 0
    call_duration_s: int = 0

    @property
    def address(self) -> str:
        """The address the conversation is keyed by: the number, or this call alone."""
        return self.caller or f"{ANONYMOUS}-{self.sid}"


def _whole(form: Any, name: str) -> int:
    value = str(form.get(name, "") or "0")
    try:
        return max(0, int(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number") from None


@functools.lru_cache(maxsize=4096)  # every turn of a call sends the same From: parse it once
def _caller(raw: str) -> str:
    if raw.strip().lower() in _HIDDEN or raw.startswith(("client:", "sip:")):
        return ""
    try:
        return normalise_address(ChannelKind.VOICE, raw)
    except CrisisError:
        return ""


class TwilioVoice:
    kind = ChannelKind.VOICE

    def __init__(self, settings: Settings) -> None:
        if settings.twilio_auth_token is None or not settings.twilio_account_sid:
            raise ConfigError("the telephone needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        token = settings.twilio_auth_token.reveal()
        self.signature = TwilioSignature(token)
        self.client = Client(settings.twilio_account_sid, token)
        self.client.api.base_url = settings.twilio_api_base  # a stand-in in tests and staging
        self.caller_id = settings.twilio_voice_from or settings.twilio_from or ""

    def verify(self, request: InboundRequest) -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not self.signature.valid(request.url, request.form, signature):
            raise Forbidden("invalid Twilio signature")

    def parse_turn(self, request: InboundRequest) -> CallTurn:
        """Verify (Forbidden) and read one webhook of a call (InvalidInput if malformed)."""
        self.verify(request)
        form = request.form
        sid = form.get("CallSid", "")
        if not sid or len(sid) > 64:
            raise InvalidInput("CallSid is required")
        return CallTurn(
            sid=sid, caller=_caller(form.get("From", "") if form.get("Direction", "inbound")
                                    .startswith("inbound") else form.get("To", "")),
            status=form.get("CallStatus", ""), digits=form.get("Digits", "")[:8],
            speech=form.get("SpeechResult", "")[:MAX_SPEECH_CHARS].strip(),
            queue_result=form.get("QueueResult", ""), queue_time_s=_whole(form, "QueueTime"),
            queue_position=_whole(form, "QueuePosition"), queue_sid=form.get("QueueSid", ""),
            dial_status=form.get("DialCallStatus", ""),
            dial_duration_s=_whole(form, "DialCallDuration"),
            call_duration_s=_whole(form, "CallDuration"))

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """A spoken question as a message (none when the webhook carries no speech)."""
        turn = self.parse_turn(request)
        if not turn.speech:
            return []
        query = parse_qs(urlsplit(request.url).query)
        lang = "en" if query.get("lang") == ["en"] else "fr"
        step = (query.get("turn") or ["0"])[0][:8]
        return [InboundMessage(channel=ChannelKind.VOICE, address=turn.address,
                               text=turn.speech, provider_id=f"{turn.sid}:q{step}",
                               received_at=utcnow(), lang=lang)]

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        """A call has no delivery receipt of a message: what is spoken is heard."""
        self.verify(request)
        return None

    # The REST API (blocking: run in a thread or a job).
    @staticmethod
    def _rest(what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except TwilioRestException as err:
            retryable = err.status == 429 or err.status >= 500
            raise ChannelError(f"Twilio refused to {what}: {err.msg}",
                               retryable=retryable) from err
        except OSError as err:
            raise ChannelError(f"Twilio unreachable: {err}", retryable=True) from err

    def place_call(self, to: str, url: str, status_callback: str) -> str:
        """Call `to`; Twilio fetches the TwiML at `url` when answered. Returns the CallSid."""
        call = self._rest("place a call", lambda: self.client.calls.create(
            to=to, from_=self.caller_id, url=url, method="POST",
            status_callback=status_callback, status_callback_method="POST",
            status_callback_event=["completed"]))
        return str(getattr(call, "sid"))

    def redirect_call(self, sid: str, url: str) -> None:
        """Move a call in progress (a queued caller) to the TwiML at `url`."""
        self._rest("redirect a call", lambda: self.client.calls(sid).update(
            url=url, method="POST"))

    def ensure_queue(self, name: str, max_size: int) -> str:
        """The Twilio queue `name` with room for `max_size` callers (created or resized);
        returns its QueueSid. `<Enqueue>` alone would create it with Twilio's default size."""
        queues = self._rest("list queues", lambda: self.client.queues.list(limit=1000))
        for queue in queues:
            if queue.friendly_name == name:
                sid = str(queue.sid)
                if queue.max_size != max_size:
                    self._rest("resize a queue", lambda: self.client.queues(sid).update(
                        max_size=max_size))
                return sid
        created = self._rest("create a queue", lambda: self.client.queues.create(
            friendly_name=name, max_size=max_size))
        return str(getattr(created, "sid"))

