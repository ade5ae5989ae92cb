"""The e-mail sandbox: a relay that keeps the centre's replies instead of delivering them.

With CRISIS_MAIL_SANDBOX set (`crisis up --demo` sets it when no relay is configured), the
`crisis smtp` process also listens on CRISIS_SMTP_RELAY and keeps every mail handed to it in
Redis (channels/sandbox_log.py), listed at `GET /sandbox/mail` for supervisors. So a demo's
e-mail can be sent with any SMTP client (curl, swaks, a mail program) to CRISIS_SMTP_LISTEN
and its answer read back, without a mail server.
"""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import redis.asyncio as aioredis
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.sandbox_log import keep

MAX_BYTES = 1_000_000
SHOWN_CHARS = 4000


class SandboxRelay:
    """aiosmtpd handler: every mail accepted, kept in Redis under `key`."""

    def __init__(self, redis: aioredis.Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mail = message_from_bytes(raw, policy=policy.default)
        text = ""
        if isinstance(mail, EmailMessage):
            body = mail.get_body(("plain",))
            text = str(body.get_content()) if body is not None else ""
        await keep(self.redis, self.key, {
            "to": list(envelope.rcpt_tos), "from": str(envelope.mail_from),
            "subject": str(mail.get("Subject", "")), "in_reply_to": str(mail.get("In-Reply-To", "")),
            "message_id": str(mail.get("Message-ID", "")), "text": text[:SHOWN_CHARS],
            "at": time.time()})
        return "250 kept by the sandbox, not delivered"


async def start_sandbox_relay(redis: aioredis.Redis, key: str, host: str, port: int
                              ) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    handler = SandboxRelay(redis, key)

    def protocol() -> Any:
        return SMTP(handler, data_size_limit=MAX_BYTES, enable_SMTPUTF8=True,
                    hostname="sandbox", ident="crisis sandbox relay", loop=loop)

    return await loop.create_server(protocol, host=host, port=port)
