"""The SMTP listener over real SMTP on loopback: what it stores, drops, reports and refuses."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from crisis.types import ChannelKind, DeliveryStatus, InboundMessage
from tests.channels.email_support import listening

CORPUS = Path(__file__).parent / "mail_corpus"

PLAIN = (b"From: =?utf-8?q?Jean_Dupont?= <Jean.Dupont@Example.FR>\r\n"
         b"To: contact@crise.example.gouv.fr\r\n"
         b"Subject: =?utf-8?q?Eau_potable_=C3=A0_Lyon?=\r\n"
         b"Message-ID: <q1@example.fr>\r\nReferences: <q0@example.fr>\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
         b"Peut-on boire l'eau du robinet ?\r\n\r\n"
         b"Le lun. 3 mars 2025 \xc3\xa0 10:02, Centre <c@x.fr> a \xc3\xa9crit :\r\n"
         b"> Vieille r\xc3\xa9ponse\r\n")


async def test_a_citizens_mail_is_received_as_an_inbound_message() -> None:
    async with listening() as server:
        await server.send(PLAIN, sender="jean.dupont@example.fr")
    [message] = server.received
    assert message.channel is ChannelKind.EMAIL
    assert message.address == "jean.dupont@example.fr"
    assert message.text == "Peut-on boire l'eau du robinet ?"  # the quoted history is gone
    assert message.provider_id == "<q1@example.fr>"
    assert message.lang == "fr"
    assert message.thread == {"message_id": "<q1@example.fr>", "references": "<q0@example.fr>",
                              "subject": "Eau potable à Lyon"}


async def test_mail_for_an_accepted_domain_is_received() -> None:
    async with listening() as server:
        await server.send(PLAIN, to=["urgence@questions.example.gouv.fr"])
    assert len(server.received) == 1


async def test_an_auto_reply_is_accepted_and_never_stored() -> None:
    async with listening() as server:
        await server.send((CORPUS / "out_of_office.eml").read_bytes())
        await server.send(PLAIN.replace(b"Subject:", b"Precedence: bulk\r\nSubject:"))
        await server.send(PLAIN.replace(b"Subject:", b"X-Autoreply: yes\r\nSubject:"))
    assert server.received == []
    assert server.handler.counts["auto_reply"] == 3


async def test_a_bounce_of_our_reply_reports_its_failure() -> None:
    async with listening() as server:
        await server.send((CORPUS / "dsn_of_our_reply.eml").read_bytes(), sender="")
    assert server.received == []
    [report] = server.reports
    assert report.provider_id == "<crisis.c42.m7@crise.example.gouv.fr>"  # not References'
    assert report.status is DeliveryStatus.FAILED
    assert "5.1.1" in report.error


async def test_a_bounce_not_about_our_reply_is_dropped() -> None:
    async with listening() as server:
        await server.send(PLAIN, sender="")  # the null sender: automated, never answered
    assert server.received == [] and server.reports == []
    assert server.handler.counts["bounce"] == 1


async def test_an_over_size_mail_is_refused_with_552() -> None:
    big = PLAIN + b"x" * 76 + b"\r\n" * 1 + (b"y" * 76 + b"\r\n") * 100
    async with listening(max_bytes=4096) as server:
        with pytest.raises(smtplib.SMTPSenderRefused) as at_mail:  # SIZE= said it up front
            await server.send(big)
        with pytest.raises(smtplib.SMTPDataError) as at_data:  # counted during DATA
            await server.send(big, size_option=False)
    assert at_mail.value.smtp_code == 552 and at_data.value.smtp_code == 552
    assert server.received == []


async def test_an_unknown_recipient_is_refused_with_550() -> None:
    async with listening() as server:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await server.send(PLAIN, to=["someone@elsewhere.example.com"])
    [(code, _)] = refused.value.recipients.values()
    assert code == 550
    assert server.received == []


async def test_a_store_failure_asks_the_relay_to_retry() -> None:
    async with listening(fail=True) as server:
        with pytest.raises(smtplib.SMTPDataError) as temporary:
            await server.send(PLAIN)
    assert temporary.value.smtp_code == 451


async def test_a_centre_far_behind_asks_the_relay_to_retry_and_says_why() -> None:
    async with listening(busy=True) as server:
        with pytest.raises(smtplib.SMTPDataError) as temporary:
            await server.send(PLAIN)
        assert server.handler.counts["busy"] == 1
    assert temporary.value.smtp_code == 451
    assert b"busy" in temporary.value.smtp_error.lower()
    assert server.received == []


async def test_a_flooding_sender_is_accepted_and_dropped() -> None:
    seen: list[str] = []

    async def admit(message: InboundMessage) -> bool:
        seen.append(message.address)
        return len(seen) <= 2

    async with listening(admit=admit) as server:
        for number in range(4):
            await server.send(PLAIN.replace(b"<q1@", f"<q1-{number}@".encode()))
    assert len(server.received) == 2
    assert server.handler.counts["rate_limited"] == 2
