"""The e-mail adapter against a real SMTP relay stand-in (testbed/smtp_sink.py) on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from channels.email.adapter import EmailAdapter
from crisis.errors import ChannelError, ConfigError
from crisis.ports import InboundRequest, Pace
from crisis.settings import Settings, load_settings
from crisis.types import ChannelKind, DeliveryStatus, OutboundMessage
from testbed.ports import free_port
from testbed.smtp_sink import SmtpSink

CORPUS = Path(__file__).parent / "mail_corpus"
FROM = "Centre d'information <contact@crise.example.gouv.fr>"


def _settings(port: int) -> Settings:
    return load_settings({"CRISIS_SMTP_RELAY": f"127.0.0.1:{port}", "CRISIS_MAIL_FROM": FROM,
                          "CRISIS_SMTP_MESSAGES_PER_SECOND": "120"})


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    relay = SmtpSink()
    await relay.start()
    yield relay
    await relay.stop()


@pytest.fixture
async def adapter(sink: SmtpSink) -> AsyncIterator[EmailAdapter]:
    email = EmailAdapter(_settings(sink.port))
    yield email
    await email.aclose()


def reply(text: str = "Ne buvez pas l'eau du robinet.", **thread: str) -> OutboundMessage:
    return OutboundMessage(channel=ChannelKind.EMAIL, address="jean@example.fr", text=text,
                           conversation_id="c1a2b3", message_id="m4d5e6", thread=thread)


async def test_a_reply_is_sent_in_the_citizens_thread(adapter: EmailAdapter,
                                                      sink: SmtpSink) -> None:
    provider_id = await adapter.send(reply(message_id="<q1@example.fr>",
                                           references="<q0@example.fr>",
                                           subject="Eau potable à Lyon"))
    [delivered] = sink.delivered
    mail = delivered.message
    assert delivered.rcpt_tos == ["jean@example.fr"]
    assert delivered.mail_from == "contact@crise.example.gouv.fr"
    assert mail["From"] == FROM and mail["To"] == "jean@example.fr"
    assert mail["Subject"] == "Re: Eau potable à Lyon"
    assert mail["In-Reply-To"] == "<q1@example.fr>"
    assert mail["References"] == "<q0@example.fr> <q1@example.fr>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["Message-ID"] == provider_id
    assert provider_id.startswith("<crisis.") and provider_id.endswith("@crise.example.gouv.fr>")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().strip() == "Ne buvez pas l'eau du robinet."


async def test_a_reply_without_thread_gets_a_default_subject_in_its_language(
        adapter: EmailAdapter, sink: SmtpSink) -> None:
    await adapter.send(reply())
    english = OutboundMessage(channel=ChannelKind.EMAIL, address="anna@example.com",
                              text="Stay upstairs.", conversation_id="c2", message_id="m2",
                              lang="en")
    await adapter.send(english)
    subjects = [d.message["Subject"] for d in sink.delivered]
    assert subjects == ["Votre question au centre d'information",
                        "Your question to the information centre"]
    assert "In-Reply-To" not in sink.delivered[0].message


async def test_the_connection_is_reused_across_sends(adapter: EmailAdapter,
                                                     sink: SmtpSink) -> None:
    for number in range(5):
        await adapter.send(reply(f"réponse {number}"))
    assert sink.accepted == 5
    assert sink.connections == 1


async def test_a_temporary_refusal_is_retryable(adapter: EmailAdapter, sink: SmtpSink) -> None:
    sink.answer_next = [451]
    with pytest.raises(ChannelError) as refused:
        await adapter.send(reply())
    assert refused.value.retryable
    await adapter.send(reply())  # the same connection goes on once the relay takes mail again
    assert sink.accepted == 1 and sink.connections == 1


async def test_a_permanent_refusal_is_not_retryable(adapter: EmailAdapter,
                                                    sink: SmtpSink) -> None:
    sink.answer_next = [550]
    with pytest.raises(ChannelError) as refused:
        await adapter.send(reply())
    assert not refused.value.retryable
    assert "550" in refused.value.message


async def test_an_unreachable_relay_is_retryable() -> None:
    email = EmailAdapter(_settings(free_port()))  # nothing listens there
    try:
        with pytest.raises(ChannelError) as unreachable:
            await email.send(reply())
        assert unreachable.value.retryable
    finally:
        await email.aclose()


async def test_a_relay_that_restarted_is_reconnected(adapter: EmailAdapter,
                                                     sink: SmtpSink) -> None:
    await adapter.send(reply())
    await sink.stop()
    await sink.start_on(sink.port)
    await adapter.send(reply())  # the idle connection was closed by the restart
    assert sink.accepted == 2


async def test_a_bounce_of_a_sent_reply_names_it(adapter: EmailAdapter, sink: SmtpSink) -> None:
    provider_id = await adapter.send(reply())
    returned = sink.delivered[0].raw.split(b"\r\n\r\n", 1)[0]
    dsn = (CORPUS / "dsn_of_our_reply.eml").read_bytes()
    head, _, _ = dsn.partition(b"Content-Type: text/rfc822-headers\r\n\r\n")
    bounce = head + b"Content-Type: text/rfc822-headers\r\n\r\n" + returned + b"\r\n--dsn--\r\n"
    report = adapter.parse_delivery(InboundRequest(url="", headers={}, form={}, body=bounce))
    assert report is not None
    assert (report.provider_id, report.status) == (provider_id, DeliveryStatus.FAILED)


def test_parse_inbound_reads_raw_mail_and_never_answers_automated_mail(
        adapter: EmailAdapter) -> None:
    def parsed(name: str) -> list[str]:
        body = (CORPUS / name).read_bytes()
        return [m.text for m in adapter.parse_inbound(
            InboundRequest(url="", headers={}, form={}, body=body))]
    assert parsed("gmail_reply_en.eml") == ["Thanks. Where can I find sandbags please?"]
    assert parsed("out_of_office.eml") == []
    assert parsed("dsn_of_our_reply.eml") == []
    assert adapter.acknowledge([]).body == b""


def test_the_adapter_declares_its_plug(adapter: EmailAdapter) -> None:
    assert adapter.kind is ChannelKind.EMAIL
    assert (adapter.inbound_path, adapter.status_path, adapter.queued, adapter.headers) == (
        None, None, True, ())
    assert adapter.pacing(reply()) == (Pace("smtp", 120),)


def test_the_adapter_needs_a_relay_and_a_sender() -> None:
    with pytest.raises(ConfigError, match="CRISIS_SMTP_RELAY"):
        EmailAdapter(load_settings({}))
