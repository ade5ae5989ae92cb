"""/metrics carries the centre-wide gauges the alert rules of deploy/prometheus/ are written
against: citizens queued with nobody signed in, stream lag, processes alive, Redis memory."""

from __future__ import annotations

import re
from typing import Any

from crisis.context import Context
from crisis.types import Role
from tests.channels.conftest import signed, sms_form, until
from tests.conftest import bearer


def _value(text: str, name: str, labels: str = "") -> float | None:
    match = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


async def _metrics(client: Any) -> str:
    response = await client.get("/metrics")
    assert response.status == 200
    return str(await response.text())


async def test_a_citizen_waiting_with_nobody_signed_in_shows_in_the_gauges(
        kb: None, client: Any, ctx: Context) -> None:
    text = await _metrics(client)
    assert _value(text, "crisis_queue_length") == 0
    assert _value(text, "crisis_redis_up") == 1
    assert (_value(text, "crisis_redis_used_memory_bytes") or 0) > 0
    assert _value(text, "crisis_processes_alive", '{kind="web"}') is not None

    headers, form = signed("/hooks/twilio/sms", sms_form("je veux parler a un conseiller",
                                                          "SMG1"))
    assert (await client.post("/hooks/twilio/sms", data=form, headers=headers)).status == 200

    async def queued() -> str | None:
        text = await _metrics(client)
        return text if _value(text, "crisis_queue_length") == 1 else None

    text = await until(queued)
    assert _value(text, "crisis_operators_signed_in") == 0  # the alert's condition
    assert (_value(text, "crisis_queue_estimated_wait_seconds") or 0) >= 0
    # The event stream's subscriber groups are listed, each with its lag.
    assert re.search(r'^crisis_events_lag_seconds\{group="channels-inbound"\} \d', text, re.MULTILINE)

    operator = await bearer(ctx, "op1", Role.OPERATOR)
    await client.post("/api/operators/me/status", headers=operator,
                      json={"status": "available", "capacity": 2})

    async def taken() -> str | None:
        text = await _metrics(client)
        return text if _value(text, "crisis_operators_signed_in") == 1 \
            and _value(text, "crisis_queue_length") == 0 else None

    await until(taken)
