"""The SMTP listener: takes citizens' mail for the centre's recipients, nothing else.

Decoupled from storage: it is given `receive(InboundMessage)` and `report(DeliveryReport)`
(the process entry, channels/email/service.py, passes the ConversationStore's), and an
optional `admit(InboundMessage)`, the per-sender limit. What it answers, and why:

- RCPT for a recipient not in CRISIS_MAIL_ACCEPT: 550 (never an open relay);
- more than CRISIS_MAIL_MAX_BYTES: 552 (aiosmtpd, at MAIL FROM's SIZE or during DATA);
- a message with no sender address at all: 550 (no one to answer);
- the store unreachable: 451, so the relay keeps the mail and tries again;
- everything else 250: a citizen's mail stored, an auto-reply counted and dropped, a bounce
  recorded against our reply, a flooding sender's mail counted and dropped (a refusal would
  make the relay send a bounce, possibly to a forged sender).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.parsing import MailKind, MailReader
from crisis.errors import InvalidInput, TryLater
from crisis.ports import DeliveryReport
from crisis.types import InboundMessage

log = logging.getLogger(__name__)

Receive = Callable[[InboundMessage], Awaitable[object]]
Report = Callable[[DeliveryReport], Awaitable[object]]
Admit = Callable[[InboundMessage], Awaitable[bool]]
NULL_SENDER = "<>"
MAX_RECIPIENTS = 20  # one citizen's mail to the centre, not a mailing


def accepts(accepted: frozenset[str], address: str) -> bool:
    """Whether `address` is one of ours: listed itself, or its domain listed as "@domain"."""
    address = address.strip().lower()
    _, at, domain = address.rpartition("@")
    return address in accepted or (bool(at) and "@" + domain in accepted)


class MailHandler:
    """aiosmtpd's handler hooks (handle_MAIL, handle_RCPT, handle_DATA)."""

    def __init__(self, accepted: frozenset[str], receive: Receive, report: Report,
                 admit: Admit | None = None, reader: MailReader | None = None) -> None:
        self.accepted = accepted
        self.receive = receive
        self.report = report
        self.admit = admit
        self.reader = reader or MailReader()
        self.counts: collections.Counter[str] = collections.Counter()

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        # The null sender of bounces (MAIL FROM:<>) is kept visibly: aiosmtpd would take an
        # empty sender for no MAIL command at all.
        envelope.mail_from = address or NULL_SENDER
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not accepts(self.accepted, address):
            self.counts["refused_recipient"] += 1
            return "550 5.7.1 Recipient not accepted here (not a relay)"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            read = self.reader.read(raw, envelope_sender=envelope.mail_from)
        except InvalidInput as err:
            self.counts["invalid"] += 1
            return f"550 5.6.0 {err.message}"
        try:
            if read.kind is MailKind.AUTO_REPLY:
                self.counts["auto_reply"] += 1  # never stored: answering it is a mail loop
            elif read.kind is MailKind.BOUNCE:
                self.counts["bounce"] += 1
                if read.report is not None:
                    await self.report(read.report)
            elif read.message is not None:
                if self.admit is not None and not await self.admit(read.message):
                    self.counts["rate_limited"] += 1
                else:
                    await self.receive(read.message)
                    self.counts["citizen"] += 1
        except TryLater as busy:  # the pipeline far behind: nothing stored, the relay retries
            self.counts["busy"] += 1
            log.info("e-mail refused for now; the relay will retry",
                     extra={"reason": busy.message})
            return "451 4.3.2 Too busy, try again later"
        except Exception:  # the store is unreachable: the relay keeps the mail and retries
            log.warning("e-mail not stored; the relay will retry", exc_info=True)
            return "451 4.3.0 Temporary failure, try again later"
        return "250 OK"


class _Server(SMTP):
    # Real mail breaks RFC 5321's 1,000-octet lines (HTML on one line); CRISIS_MAIL_MAX_BYTES
    # bounds the whole message anyway.
    line_length_limit = 256 * 1024


async def start_listener(handler: MailHandler, host: str, port: int, *, max_bytes: int,
                         hostname: str = "crisis") -> asyncio.Server:
    """Listen on host:port until the returned server is closed."""
    loop = asyncio.get_running_loop()

    def protocol() -> Any:
        return _Server(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True,
                       hostname=hostname, ident="crisis smtp", timeout=60, loop=loop)

    return await loop.create_server(protocol, host=host, port=port)
