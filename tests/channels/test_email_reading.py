"""Real-world MIME oddities (tests/channels/mail_corpus/), through the reader and through
the listener over SMTP: each gives a sensible message, none crashes anything."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from channels.email.parsing import MailKind, MailReader
from crisis.errors import InvalidInput
from tests.channels.email_support import listening

CORPUS = Path(__file__).parent / "mail_corpus"
READER = MailReader()

# file -> (what it is, words its text must contain, words it must not contain)
EXPECTED: dict[str, tuple[MailKind, tuple[str, ...], tuple[str, ...]]] = {
    "nested_multipart.eml": (MailKind.CITIZEN, ("évacuer", "12 rue des Lilas"), ("<p>",)),
    "wrong_charset.eml": (MailKind.CITIZEN, ("potable à Créteil",), ("\ufffd",)),
    "unknown_charset.eml": (MailKind.CITIZEN, ("Genève", "fermée"), ()),
    "eight_bit_headers.eml": (MailKind.CITIZEN, ("hébergement",), ()),
    "rfc2047_headers.eml": (MailKind.CITIZEN, ("écoles sont-elles fermées",), ()),
    "html_only.eml": (MailKind.CITIZEN, ("Le pont est-il fermé & surveillé ?",),
                      ("alert", "script", "evil", "color", "Titre", "<", "steal")),
    "zip_bomb_named_txt.eml": (MailKind.CITIZEN, ("Voir le rapport joint.",), ("PK",)),
    "missing_message_id.eml": (MailKind.CITIZEN, ("courant est coupé",), ()),
    "broken_boundary.eml": (MailKind.CITIZEN, ("gaz est coupé",), ()),
    "outlook_reply_fr.eml": (MailKind.CITIZEN, ("Merci, et pour les animaux ?",),
                             ("Envoyé", "robinet")),
    "gmail_reply_en.eml": (MailKind.CITIZEN, ("Where can I find sandbags please?",),
                           ("upstairs", "wrote")),
    "out_of_office.eml": (MailKind.AUTO_REPLY, (), ()),
    "dsn_of_our_reply.eml": (MailKind.BOUNCE, (), ()),
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_oddity_gives_a_sensible_message(name: str) -> None:
    kind, present, absent = EXPECTED[name]
    read = READER.read((CORPUS / name).read_bytes())
    assert read.kind is kind
    if kind is not MailKind.CITIZEN:
        return
    assert read.message is not None
    text = read.message.text
    for words in present:
        assert words in text
    for words in absent:
        assert words not in text


def test_headers_are_decoded() -> None:
    eight_bit = READER.read((CORPUS / "eight_bit_headers.eml").read_bytes()).message
    encoded = READER.read((CORPUS / "rfc2047_headers.eml").read_bytes()).message
    assert eight_bit is not None and encoded is not None
    assert eight_bit.thread["subject"] == "Où se réfugier ?"
    assert encoded.thread["subject"] == "Écoles fermées ?"
    assert encoded.address == "andre@example.org"


def test_attachments_are_listed_never_opened() -> None:
    bomb = READER.read((CORPUS / "zip_bomb_named_txt.eml").read_bytes()).message
    nested = READER.read((CORPUS / "nested_multipart.eml").read_bytes()).message
    assert bomb is not None and nested is not None
    [listed] = bomb.attachments
    assert listed.startswith("rapport.txt (text/plain, ") and listed.endswith(" bytes)")
    assert any(a.startswith("plan.pdf (application/pdf, ") for a in nested.attachments)


def test_a_huge_attachment_is_listed_with_its_size() -> None:
    payload = base64.encodebytes(bytes(3 * 1024 * 1024)).replace(b"\n", b"\r\n")
    raw = (b"From: a@example.org\r\nMessage-ID: <huge@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nPhoto des d\xc3\xa9g\xc3\xa2ts.\r\n--b\r\n"
           b"Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=photo.jpg\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"--b--\r\n")
    message = READER.read(raw).message
    assert message is not None
    assert message.text == "Photo des dégâts."
    assert message.attachments == (f"photo.jpg (image/jpeg, {3 * 1024 * 1024} bytes)",)


def test_malformed_mime_is_kept_and_flagged() -> None:
    message = READER.read((CORPUS / "broken_boundary.eml").read_bytes()).message
    assert message is not None
    assert message.thread.get("malformed") == "1"


def test_a_mail_without_message_id_gets_a_stable_id() -> None:
    raw = (CORPUS / "missing_message_id.eml").read_bytes()
    first, again = READER.read(raw).message, READER.read(raw).message
    assert first is not None and again is not None
    assert first.provider_id.startswith("sha256:") and first.provider_id == again.provider_id
    assert "message_id" not in first.thread


def test_language_comes_from_the_header_or_the_words() -> None:
    english = READER.read((CORPUS / "gmail_reply_en.eml").read_bytes()).message
    french = READER.read((CORPUS / "outlook_reply_fr.eml").read_bytes()).message
    assert english is not None and french is not None
    assert (english.lang, french.lang) == ("en", "fr")
    assert english.address == "anna.smith@example.com"


async def test_the_corpus_through_smtp_never_crashes_the_listener() -> None:
    async with listening() as server:
        for path in sorted(CORPUS.glob("*.eml")):
            sender = "" if "dsn" in path.name else "citizen@example.org"
            await server.send(path.read_bytes(), sender=sender)
    citizens = sum(kind is MailKind.CITIZEN for kind, _, _ in EXPECTED.values())
    assert len(server.received) == citizens
    assert len(server.reports) == 1
    assert server.handler.counts["auto_reply"] == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_raise_nothing_but_invalid_input(raw: bytes) -> None:
    try:
        READER.read(raw)
    except InvalidInput:
        pass


_HEADER_LINES = st.sampled_from([
    b"From: a@example.org", b"From: =?x-bad?Q?=ZZ?= <b@example.org>", b"From: <>",
    b"Content-Type: multipart/mixed; boundary=", b"Content-Type: multipart/report",
    b"Content-Type: text/plain; charset=\"utf-7\"", b"Content-Type: text/html; charset=idna",
    b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
    b"Subject: =?utf-8?B?////?=", b"Message-ID: <", b"References: <a@b> <<>>",
    b"Content-Disposition: attachment; filename*=utf-8''%FF%FE", b"Auto-Submitted: no",
    b"Content-Language: en", b"Return-Path: <>",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEADER_LINES, max_size=8), st.binary(max_size=2000),
       st.sampled_from([None, "", "<>", "x@example.org"]))
def test_mail_shaped_garbage_raises_nothing_but_invalid_input(
        headers: list[bytes], body: bytes, envelope: str | None) -> None:
    raw = b"\r\n".join(headers) + b"\r\n\r\n" + body
    try:
        read = READER.read(raw, envelope_sender=envelope)
    except InvalidInput:
        return
    if read.message is not None:
        assert len(read.message.text) <= 20_000
