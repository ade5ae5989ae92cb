"""Request bodies before authentication: read in time, capped on the stream, UTF-8 forms;
bad ones get a clear 4xx, never a 500 or a traceback, and a client gone is not an error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crisis.metrics import HTTP_REQUESTS
from crisis.web.body import BODIES_ABORTED
from tests.channels.conftest import signed, sms_form, until

HOOK = "/hooks/twilio/sms"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_BODY_TIMEOUT_S": "1"}


async def _raw(client: Any, head: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(head)
    await writer.drain()
    return reader, writer


def _head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\n\r\n").encode() + b"Body=lent"


async def test_a_slow_body_gets_408_and_the_connection_closes(client: Any) -> None:
    reader, writer = await _raw(client, _head(HOOK, 5000))
    started = asyncio.get_running_loop().time()
    answer = await asyncio.wait_for(reader.read(), 10)  # until the server closes
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert b"did not arrive within 1 s" in answer
    assert asyncio.get_running_loop().time() - started < 5
    writer.close()


def _count(status: str) -> float:
    return sum(s.value for m in HTTP_REQUESTS.collect() for s in m.samples
               if s.name.endswith("_total") and s.labels.get("status") == status)


async def test_a_client_gone_mid_body_is_not_an_error(client: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    errors_before = _count("5xx")
    gone_before = BODIES_ABORTED.labels("disconnect")._value.get()
    for path in (HOOK, "/login", "/api/session"):
        _, writer = await _raw(client, _head(path, 5000))
        writer.transport.abort()  # a reset, as a dropped mobile connection does

    async def all_seen() -> bool:
        return BODIES_ABORTED.labels("disconnect")._value.get() >= gone_before + 3

    await until(all_seen)
    assert _count("5xx") == errors_before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "unhandled" in r.getMessage()]


async def test_non_utf8_forms_get_400_before_authentication(client: Any) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in (HOOK, "/login"):
        response = await client.post(path, data=b"name=\xe9t\xe9&Body=\xff", headers=headers)
        assert response.status == 400, path
        assert "not valid UTF-8" in await response.text()
    latin = await client.post(HOOK, data=b"Body=ete", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=latin-1"})
    assert latin.status == 400 and "must be UTF-8" in (await latin.json())["error"]["message"]


async def test_a_signed_bad_num_media_is_400(client: Any) -> None:
    headers, form = signed(HOOK, {**sms_form("photo", "SMmedia"), "NumMedia": "abc"})
    response = await client.post(HOOK, data=form, headers=headers)
    assert response.status == 400
    assert (await response.json())["error"]["message"] == "NumMedia must be a whole number"


async def test_a_chunked_body_is_capped_on_the_stream(client: Any) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(90):  # 900 KB, no Content-Length
            sent += 10_000
            yield b"Body=" + b"x" * 9_995

    response = await client.post(HOOK, data=chunks(), headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 413
    assert "too_large" in await response.text()


async def test_a_compressed_body_is_capped_on_what_it_inflates_to(client: Any) -> None:
    """A 1 KB gzip body that inflates past the webhooks' 64 KiB cap: refused (413), though
    its Content-Length is small and it all came in one packet."""
    import gzip
    body = gzip.compress(b"Body=" + b"x" * 300_000)
    assert len(body) < 2_000
    response = await client.post(HOOK, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"})
    assert response.status == 413
    assert "too_large" in await response.text()
