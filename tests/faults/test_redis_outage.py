"""With Redis unreachable, the web process keeps what providers send in its local spool and
acknowledges it (channels/spool.py); the API answers 503 + Retry-After, not 500; liveness
still answers and readiness says why not. When even the spool cannot be written, the webhook
answers 503 and the provider retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crisis.app import build_app
from crisis.settings import load_settings
from crisis.web.redis_outage import REDIS_UNAVAILABLE
from testbed.ports import free_port
from tests.channels.conftest import signed, sms_form
from tests.faults.traffic import centre_env


async def test_redis_down_means_503_with_retry_after(aiohttp_client: Any,
                                                     tmp_path: Path) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = load_settings(centre_env(nobody, "o:", tmp_path / "var", "http://127.0.0.1:9"))
    client = await aiohttp_client(build_app(settings, nobody, consume_events=False))
    before = REDIS_UNAVAILABLE.labels("unreachable")._value.get()

    headers, form = signed("/hooks/twilio/sms", sms_form("bonjour", "SMdown1"))
    response = await client.post("/hooks/twilio/sms", data=form, headers=headers)
    assert response.status == 200, await response.text()  # acknowledged: it is in the spool
    [spooled] = (tmp_path / "var" / "spool").glob("*.jsonl")
    assert b"SMdown1" in spooled.read_bytes()

    response = await client.get("/api/crises", headers={"Authorization": "Bearer x"})
    assert response.status == 503 and "Retry-After" in response.headers
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    problems = (await ready.json())["problems"]
    assert ready.status == 503 and "redis unreachable" in problems
    assert any("spool" in p for p in problems)
    assert REDIS_UNAVAILABLE.labels("unreachable")._value.get() >= before + 1

