"""`crisis smtp`'s wiring: mail over SMTP becomes a stored conversation in a real Redis."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator

import pytest

from channels.email.service import serve_mail
from channels.keys import ChannelKeys
from channels.store import ConversationStore
from crisis.context import Context
from crisis.types import ChannelKind, DeliveryStatus
from testbed.ports import free_port
from tests.channels.email_support import TO
from tests.support.polling import until

PORT = free_port()


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_MAIL_ACCEPT": TO, "CRISIS_SMTP_LISTEN": f"127.0.0.1:{PORT}",
            "CRISIS_MAIL_MESSAGES_PER_ADDRESS_PER_MINUTE": "2"}


@pytest.fixture
async def serving(ctx: Context) -> AsyncIterator[ConversationStore]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve_mail(ctx, stop))
    await until(lambda: asyncio.to_thread(_listens))
    yield ConversationStore(ctx.redis, ChannelKeys(ctx.keys), ctx.bus, ctx.secret)
    stop.set()
    await task


def _listens() -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=2):
            return True
    except OSError:
        return False


def _mail(number: int, sender: str = "jean@example.fr") -> bytes:
    return (f"From: {sender}\r\nTo: {TO}\r\nSubject: eau\r\nMessage-ID: <s{number}@example.fr>\r\n"
            f"\r\nQuestion {number} : l'eau est-elle potable ?\r\n").encode()


async def _send(raw: bytes, sender: str = "jean@example.fr") -> None:
    def transact() -> None:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as client:
            client.sendmail(sender, [TO], raw)
    await asyncio.to_thread(transact)


async def test_a_mail_becomes_a_conversation_once(serving: ConversationStore) -> None:
    await _send(_mail(1))
    await _send(_mail(1))  # the relay's retry after a lost 250: stored once
    conversations, total, _ = await serving.page(status=None, channel=ChannelKind.EMAIL,
                                                 limit=10, cursor=None)
    assert total == 1
    [message] = await serving.messages(conversations[0].id)
    assert message.text == "Question 1 : l'eau est-elle potable ?"
    assert message.thread["subject"] == "eau"
    assert conversations[0].address_masked == "j•••@example.fr"


async def test_a_sender_over_the_limit_is_not_stored(serving: ConversationStore) -> None:
    for number in range(4):
        await _send(_mail(10 + number))
    [conversation], _, _ = await serving.page(status=None, channel=ChannelKind.EMAIL,
                                              limit=10, cursor=None)
    assert len(await serving.messages(conversation.id)) == 2


async def test_a_bounce_marks_our_reply_failed(serving: ConversationStore) -> None:
    await _send(_mail(20))
    [conversation], _, _ = await serving.page(status=None, channel=ChannelKind.EMAIL,
                                              limit=10, cursor=None)
    sent = await serving.add_outbound(conversation.id, "Ne buvez pas l'eau.", "operator1")
    provider_id = f"<crisis.{conversation.id}.{sent.id}@crise.example.gouv.fr>"
    await serving.set_delivery(conversation.id, sent.id, DeliveryStatus.SENT, provider_id)
    bounce = (b"From: MAILER-DAEMON@relay.example\r\nContent-Type: multipart/report; "
              b"report-type=delivery-status; boundary=r\r\n\r\n--r\r\n"
              b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay\r\n\r\n"
              b"Action: failed\r\nStatus: 5.1.1\r\n--r\r\nContent-Type: text/rfc822-headers\r\n"
              b"\r\nMessage-ID: " + provider_id.encode() + b"\r\n--r--\r\n")
    await _send(bounce, sender="")
    messages = await serving.messages(conversation.id)
    assert messages[-1].status is DeliveryStatus.FAILED


def test_crisis_smtp_needs_recipients_to_accept(tmp_path: object,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from crisis.cli import main

    assert main(["smtp"], environ={"CRISIS_DATA_DIR": str(tmp_path)}) == 1
    assert "CRISIS_MAIL_ACCEPT" in capsys.readouterr().err
