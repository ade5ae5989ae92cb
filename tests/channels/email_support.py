"""Sending real SMTP to our listener from the tests (smtplib, in a thread: the listener runs
on the test's event loop)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from channels.email.listener import Admit, MailHandler, start_listener
from crisis.errors import Busy
from crisis.ports import DeliveryReport
from crisis.types import InboundMessage
from testbed.ports import free_port

ACCEPT = frozenset({"contact@crise.example.gouv.fr", "@questions.example.gouv.fr"})
TO = "contact@crise.example.gouv.fr"


@dataclass
class Listening:
    handler: MailHandler
    port: int
    received: list[InboundMessage] = field(default_factory=list)
    reports: list[DeliveryReport] = field(default_factory=list)

    async def send(self, raw: bytes, *, sender: str = "citizen@example.org",
                   to: Sequence[str] = (TO,), size_option: bool = True) -> None:
        """One SMTP transaction (smtplib raises what the listener refuses)."""
        def transact() -> None:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
                if size_option:
                    client.sendmail(sender, list(to), raw)
                    return
                client.ehlo()
                client.mail(sender)  # no SIZE: the limit is enforced during DATA
                for address in to:
                    client.rcpt(address)
                code, text = client.data(raw)
                if code != 250:
                    raise smtplib.SMTPDataError(code, text)
        await asyncio.to_thread(transact)


@asynccontextmanager
async def listening(*, max_bytes: int = 1_000_000, admit: Admit | None = None,
                    fail: bool = False, busy: bool = False) -> AsyncIterator[Listening]:
    received: list[InboundMessage] = []
    reports: list[DeliveryReport] = []

    async def receive(message: InboundMessage) -> None:
        if fail:
            raise ConnectionError("redis is down")
        if busy:  # the store at the pipeline's backlog bound (channels/store.py)
            raise Busy("100000 events wait for the pipeline: try again shortly", retry_after_s=30)
        received.append(message)

    async def report(delivery: DeliveryReport) -> None:
        reports.append(delivery)

    handler = MailHandler(ACCEPT, receive, report, admit)
    port = free_port()
    server = await start_listener(handler, "127.0.0.1", port, max_bytes=max_bytes)
    try:
        yield Listening(handler, port, received, reports)
    finally:
        server.close()
        await server.wait_closed()
