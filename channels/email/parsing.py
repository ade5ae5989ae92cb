"""Raw RFC 5322 bytes to our values: a citizen's message, an auto-reply, or a bounce.

One reader serves the SMTP listener and the adapter's parse_inbound (the contract suite), so
what is tested through one is what runs through the other. Nothing a sender writes makes it
raise anything but InvalidInput (a property test feeds it arbitrary bytes): malformed MIME is
kept as raw text, bounded, and flagged in the message's thread ({"malformed": "1"}).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import re
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from enum import StrEnum

from channels.addresses import normalise_address
from channels.email.auto import bounce_report, is_auto_reply, is_bounce
from channels.email.mime import (
    attachments, body_text, clean_text, decode_bytes, is_malformed,
)
from channels.email.quotes import strip_quoted
from crisis.errors import InvalidInput
from crisis.ports import DeliveryReport
from crisis.types import LANGS, ChannelKind, InboundMessage, utcnow
from knowledge_base import citizen_language

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 10_000  # what an operator reads; the rest of a long mail is cut
MAX_RAW_CHARS = 20_000  # a malformed mail's raw body kept as its text
MAX_SUBJECT_CHARS = 200
MAX_ID_CHARS = 250
MAX_REFERENCES_CHARS = 2_000  # the last ids of References (RFC 5322 3.6.4 allows trimming)
_ID = re.compile(r"<[^<>\s]{1,248}>")
_FROM_LINE = re.compile(rb"^From:[^\r\n]*?([^\s<>\"']{1,64}@[^\s<>\"',;]{1,255})",
                        re.IGNORECASE | re.MULTILINE)


class _RememberingHeaders(HeaderRegistry):
    """policy.default's header parser, remembering what it parsed: the library parses a
    header again at each read (Content-Type a dozen times per message), and most mail has
    the same few Content-Type values; parsed headers are immutable, so sharing them is safe.
    Measured by bench/bench_smtp.py (about twice the listener's throughput)."""

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > 200:
            return super().__call__(name, value)
        return self._remembered(name, value)

    @functools.lru_cache(maxsize=4096)  # noqa: B019  one instance, living as long as the process
    def _remembered(self, name: str, value: str) -> BaseHeader:
        return super().__call__(name, value)


POLICY = policy.default.clone(header_factory=_RememberingHeaders())


class MailKind(StrEnum):
    CITIZEN = "citizen"  # stored and answered
    AUTO_REPLY = "auto-reply"  # accepted, counted, never stored nor answered
    BOUNCE = "bounce"  # accepted; its report (when about our reply) recorded


@dataclasses.dataclass(frozen=True)
class ReadMail:
    kind: MailKind
    message: InboundMessage | None = None
    report: DeliveryReport | None = None


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded value (RFC 2047 undone), "" when absent or undecodable."""
    try:
        value = message.get(name)
    except (LookupError, UnicodeError, ValueError, TypeError, IndexError, AttributeError):
        return ""
    return clean_text(str(value or "")).replace("\n", " ").strip()


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def guess_lang(message: EmailMessage, text: str) -> str:
    """Content-Language when it names one of ours; else what the text's words say."""
    declared = _header(message, "Content-Language").lower()[:2]
    if declared in LANGS:
        return declared
    return citizen_language(text[:2000])


def _sender(message: EmailMessage | None, raw: bytes, envelope_sender: str | None) -> str:
    """The address to answer: the From header's, else the envelope's (normalised)."""
    candidates: list[str] = []
    if message is not None:
        try:
            candidates += [address for _, address in getaddresses([_header(message, "From")])]
        except (ValueError, TypeError, IndexError):
            pass
    else:
        found = _FROM_LINE.search(raw[:64_000])
        if found:
            candidates.append(found.group(1).decode("utf-8", errors="replace"))
    if envelope_sender and envelope_sender != "<>":
        candidates.append(envelope_sender)
    for candidate in candidates:
        try:
            return normalise_address(ChannelKind.EMAIL, candidate)
        except InvalidInput:
            continue
    raise InvalidInput("no sender address to answer")


def _provider_id(message: EmailMessage | None, raw: bytes) -> str:
    found = _ID.search(_header(message, "Message-ID")) if message is not None else None
    if found is not None:
        return found.group(0)[:MAX_ID_CHARS]
    # No Message-ID (some scripts, broken clients): the content itself identifies a resend.
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:40]


def _thread(message: EmailMessage | None, provider_id: str, subject: str) -> dict[str, str]:
    references = _ID.findall(_header(message, "References")) if message is not None else []
    kept: list[str] = []
    for ref in reversed(references):  # the newest last: keep the end of the chain
        if sum(len(r) + 1 for r in kept) + len(ref) > MAX_REFERENCES_CHARS:
            break
        kept.insert(0, ref)
    thread = {"subject": subject, "references": " ".join(kept)}
    if provider_id.startswith("<"):
        thread["message_id"] = provider_id
    return thread


def _raw_body(raw: bytes) -> str:
    ends = [at for at in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if at >= 0]
    body = raw[min(ends):] if ends else raw
    return decode_bytes(body[:MAX_RAW_CHARS * 4], None)[:MAX_RAW_CHARS]


class MailReader:
    """Reads one raw e-mail (bytes as received, headers and body)."""

    def read(self, raw: bytes, envelope_sender: str | None = None) -> ReadMail:
        """What `raw` is. InvalidInput when it has no usable sender address."""
        try:
            message = BytesParser(policy=POLICY).parsebytes(raw)
            assert isinstance(message, EmailMessage)
        except Exception:  # the parser is lenient; this is the unknown case, kept raw
            log.warning("e-mail parser failed; kept raw", exc_info=True)
            return self._citizen(None, raw, envelope_sender, malformed=True)
        try:
            if is_bounce(message, envelope_sender):
                return ReadMail(MailKind.BOUNCE, report=bounce_report(message, raw))
            if is_auto_reply(message):
                return ReadMail(MailKind.AUTO_REPLY)
            return self._citizen(message, raw, envelope_sender, malformed=is_malformed(message))
        except InvalidInput:
            raise
        except Exception:  # a structure the reader did not foresee: never lose the mail
            log.warning("e-mail reading failed; kept raw", exc_info=True)
            return self._citizen(None, raw, envelope_sender, malformed=True,
                                 message_for_headers=message)

    def _citizen(self, message: EmailMessage | None, raw: bytes, envelope_sender: str | None,
                 *, malformed: bool, message_for_headers: EmailMessage | None = None
                 ) -> ReadMail:
        headers = message if message is not None else message_for_headers
        try:
            address = _sender(headers, raw, envelope_sender)
        except InvalidInput:
            if headers is None:
                raise
            address = _sender(None, raw, envelope_sender)
        text = ""
        if message is not None:
            try:
                text = body_text(message)
            except Exception:  # noqa: BLE001  a body the library cannot walk: read raw
                malformed = True
        if malformed and not text.strip():
            text = _raw_body(raw)
        text = strip_quoted(clean_text(text))[:MAX_TEXT_CHARS]
        subject = _one_line(_header(headers, "Subject"), MAX_SUBJECT_CHARS) if headers else ""
        provider_id = _provider_id(headers, raw)
        thread = _thread(headers, provider_id, subject)
        if malformed:
            thread["malformed"] = "1"
        listed: tuple[str, ...] = ()
        if message is not None:
            try:
                listed = attachments(message, message.get_body(preferencelist=("plain", "html")))
            except Exception:  # noqa: BLE001  a broken part list: the text still counts
                thread["malformed"] = "1"
        return ReadMail(MailKind.CITIZEN, message=InboundMessage(
            channel=ChannelKind.EMAIL, address=address, text=text or subject,
            provider_id=provider_id, received_at=utcnow(),
            lang=guess_lang(headers, text) if headers is not None else "fr",
            attachments=listed, thread=thread))
