"""The e-mail adapter: raw mail in (the listener's and the contract suite's), replies out
through the organisation's relay (CRISIS_SMTP_RELAY).

No signature is checked on inbound mail: the relay in front of `crisis smtp` is the trust
boundary (it does SPF/DKIM/DMARC and spam filtering; docs/contact-centre.md, "E-mail"), and
the listener takes mail only for the centre's own recipients (CRISIS_MAIL_ACCEPT).

Sending keeps a few SMTP connections open and reuses them across replies: a connection per
reply would cost a TCP and EHLO round trip each, and a reply worker sends hundreds a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from channels.email.compose import compose_reply
from channels.email.parsing import MailKind, MailReader
from crisis.errors import ChannelError, ConfigError
from crisis.ports import DeliveryReport, InboundRequest, Pace, WebhookReply
from crisis.settings import Settings
from crisis.types import ChannelKind, InboundMessage, OutboundMessage

POOL_SIZE = 4  # connections to the relay at most, per process
SEND_TIMEOUT_S = 30.0


def _response_error(code: int, text: str, what: str) -> ChannelError:
    # 4xx: the relay is busy or greylisting, it will take it later; 5xx: it never will.
    return ChannelError(f"the relay refused the {what}: {code} {text[:200]}",
                        retryable=400 <= code < 500)


class _Connections:
    """Open SMTP connections to the relay, reused; bound to the event loop that made them
    (an RQ job may run each send in a new loop: the old connections are then dropped)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(size)

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            for client in self._idle:  # their loop is gone or not ours: no goodbye possible
                with contextlib.suppress(Exception):
                    client.close()
            self._idle, self._loop, self._slots = [], loop, asyncio.Semaphore(self.size)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=SEND_TIMEOUT_S)
        await client.connect()
        return client

    async def send(self, mail: EmailMessage, sender: str, recipient: str) -> None:
        self._bind()
        async with self._slots:
            for attempt in (1, 2):
                client = self._idle.pop() if self._idle else None
                reused = client is not None
                if client is None or not client.is_connected:
                    client = await self._connect()
                try:
                    await client.send_message(mail, sender=sender, recipients=[recipient])
                except aiosmtplib.SMTPServerDisconnected:
                    client.close()
                    if not reused or attempt == 2:
                        raise
                    continue  # the relay closed an idle connection (its timeout): a new one
                except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
                    self._idle.append(client)  # the envelope was reset: the connection is fine
                    raise
                except BaseException:
                    client.close()
                    raise
                self._idle.append(client)
                return

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                if self._loop is asyncio.get_running_loop():
                    await client.quit()
            client.close()


class EmailAdapter:
    kind = ChannelKind.EMAIL
    inbound_path: str | None = None  # mail comes through `crisis smtp` (channels/email/listener.py)
    status_path: str | None = None  # bounces come the same way
    queued = True
    replies_in_acknowledgement = False
    headers: tuple[str, ...] = ()

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_relay is None or not settings.mail_from:
            raise ConfigError("e-mail replies need CRISIS_SMTP_RELAY and CRISIS_MAIL_FROM")
        self.sender_header = settings.mail_from
        self.sender = parseaddr(settings.mail_from)[1]
        self.domain = self.sender.rpartition("@")[2] or "localhost"
        self.per_second = settings.smtp_messages_per_second
        self.reader = MailReader()
        self._connections = _Connections(settings.smtp_relay.host, settings.smtp_relay.port,
                                         POOL_SIZE)

    def parse_inbound(self, request: InboundRequest) -> list[InboundMessage]:
        """The citizen's message in raw RFC 5322 bytes (request.body); none for an
        auto-reply or a bounce, which are never answered. InvalidInput without a sender."""
        read = self.reader.read(request.body)
        return [read.message] if read.kind is MailKind.CITIZEN and read.message else []

    def acknowledge(self, messages: list[InboundMessage], notice: str | None = None
                    ) -> WebhookReply:
        return WebhookReply()  # SMTP answers 250 itself; a notice would be a new e-mail

    def parse_delivery(self, request: InboundRequest) -> DeliveryReport | None:
        """The failure a bounce reports about one of our replies; None for anything else."""
        read = self.reader.read(request.body)
        return read.report if read.kind is MailKind.BOUNCE else None

    def pacing(self, message: OutboundMessage) -> tuple[Pace, ...]:
        return (Pace("smtp", self.per_second),)

    async def send(self, message: OutboundMessage) -> str:
        """Hand one reply to the relay; returns its Message-ID (which a bounce names)."""
        try:
            mail = compose_reply(message, self.sender_header, self.domain)
            await self._connections.send(mail, self.sender, message.address)
        except aiosmtplib.SMTPRecipientsRefused as err:
            first = err.recipients[0] if err.recipients else None
            code = first.code if first is not None else 550
            raise _response_error(code, first.message if first else "", "recipient") from err
        except aiosmtplib.SMTPResponseException as err:
            raise _response_error(err.code, err.message, "e-mail") from err
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError,
                aiosmtplib.SMTPTimeoutError, OSError, TimeoutError) as err:
            raise ChannelError(f"the relay is unreachable: {err}", retryable=True) from err
        except (aiosmtplib.SMTPException, ValueError) as err:  # a bad address, no SMTPUTF8
            raise ChannelError(f"the e-mail cannot be sent: {err}", retryable=False) from err
        return str(mail["Message-ID"])

    async def aclose(self) -> None:
        await self._connections.aclose()
