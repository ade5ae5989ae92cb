"""An SMTP server on loopback that stands in for a relay: records what it is given.

`answer_next` makes the next transactions answer an SMTP code at RCPT (e.g. 451 or 550) to
exercise the sender's retries; `record=False` keeps nothing (a baseline for benchmarks).
"""

from __future__ import annotations

import asyncio
import dataclasses
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from testbed.ports import free_port

_TEXTS = {421: "4.3.2 Service not available", 451: "4.3.0 Try again later",
          452: "4.5.3 Insufficient storage", 550: "5.1.1 No such user",
          554: "5.7.1 Rejected"}


@dataclasses.dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclasses.dataclass
class SmtpSink:
    record: bool = True
    delivered: list[Delivered] = dataclasses.field(default_factory=list)
    answer_next: list[int] = dataclasses.field(default_factory=list)
    accepted: int = 0
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _sessions: list[SMTP] = dataclasses.field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.answer_next:
            code = self.answer_next.pop(0)
            return f"{code} {_TEXTS.get(code, 'refused')}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.accepted += 1
        if self.record:
            self.delivered.append(Delivered(str(envelope.mail_from), list(envelope.rcpt_tos),
                                            envelope.original_content or b""))
        return "250 OK queued"

    async def start(self, host: str = "127.0.0.1") -> int:
        return await self.start_on(free_port(), host)

    async def start_on(self, port: int, host: str = "127.0.0.1") -> int:
        """Listen on `port` (again, after a stop: a relay that restarted)."""
        loop = asyncio.get_running_loop()
        self.port = port

        def protocol() -> Any:
            self.connections += 1
            session = SMTP(self, hostname="sink", loop=loop, enable_SMTPUTF8=True)
            self._sessions.append(session)
            return session

        self._server = await loop.create_server(protocol, host=host, port=self.port,
                                                reuse_address=True)
        return self.port

    async def stop(self) -> None:
        """Stop listening and drop every open connection (as a relay's restart does)."""
        if self._server is not None:
            self._server.close()
            for session in self._sessions:  # Python 3.11's Server cannot close its clients
                if session.transport is not None:
                    session.transport.close()
            self._sessions.clear()
            await self._server.wait_closed()
            self._server = None
