"""Logging in: refused from another site (login CSRF), throttled per account and per address
with Retry-After, failures audited and counted, a bounded number of password hashes at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crisis.context import Context
from crisis.types import Role
from tests.conftest import ADMIN

PASSWORD = "correct horse battery staple"
EVIL = "https://evil.example"


async def test_a_login_from_another_site_is_refused(client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("cell1", Role.CELL, PASSWORD, actor=ADMIN)
    own = f"http://{client.server.host}:{client.server.port}"
    form = {"name": "cell1", "password": PASSWORD, "next": "/cell/"}
    body = {"name": "cell1", "password": PASSWORD}
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        forged = await client.post("/login", data=form, headers=headers, allow_redirects=False)
        assert forged.status == 403, headers
        assert "Set-Cookie" not in forged.headers  # the styled 403 page, and no session
        api = await client.post("/api/session", json=body, headers=headers)
        assert api.status == 403 and "Set-Cookie" not in api.headers
        assert "cross-origin request refused" in (await api.json())["error"]["message"]
    # The site's own login page, and scripts (no Origin at all), still log in.
    page = await client.post("/login", data=form, headers={"Origin": own,
                                                           "Sec-Fetch-Site": "same-origin"},
                             allow_redirects=False)
    assert page.status == 303 and "crisis_session" in page.headers.get("Set-Cookie", "")
    client.session.cookie_jar.clear()
    script = await client.post("/api/session", json=body)
    assert script.status == 200


def _failures(reason: str) -> float:
    from crisis.web.login_guard import LOGIN_FAILURES
    return LOGIN_FAILURES.labels(reason)._value.get()


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CRISIS_LOGIN_FAILURES_PER_ACCOUNT": "3", "CRISIS_LOGIN_FAILURES_PER_IP": "5",
            "CRISIS_TRUSTED_PROXIES": "127.0.0.1", "CRISIS_LOGIN_CONCURRENT_HASHES": "1"}


async def _try(client: Any, name: str, password: str, address: str) -> Any:
    return await client.post("/api/session", json={"name": name, "password": password},
                             headers={"X-Forwarded-For": address})


async def test_failed_logins_are_throttled_audited_and_counted(client: Any, ctx: Context) -> None:
    from crisis.audit import read_audit
    await ctx.accounts.create_account("cell1", Role.CELL, PASSWORD, actor=ADMIN)
    bad_before, throttled_before = _failures("bad_credentials"), _failures("throttled")
    for n in range(3):
        assert (await _try(client, "cell1", f"guess {n}", "203.0.113.1")).status == 401
    # The account is now closed to everyone for the window, even with the right password.
    refused = await _try(client, "cell1", PASSWORD, "198.51.100.2")
    assert refused.status == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert "too many failed logins: try again in" in (await refused.json())["error"]["message"]
    # One address guessing at many accounts is stopped too, after 5 failures.
    for n in range(2):
        assert (await _try(client, f"someone{n}", "guess", "203.0.113.1")).status == 401
    assert (await _try(client, "other", "guess", "203.0.113.1")).status == 429
    assert _failures("bad_credentials") == bad_before + 5
    assert _failures("throttled") == throttled_before + 2
    failed = [e for e in await read_audit(ctx.redis, ctx.keys) if e.action == "login.failed"]
    assert len(failed) == 5
    assert {e.target for e in failed} == {"cell1", "someone0", "someone1"}
    assert {e.actor for e in failed} == {"api:cell1", "api:someone0", "api:someone1"}
    assert {e.address for e in failed} == {"203.0.113.1"}  # the proxy's word, trusted
    # The HTML form says the same, with Retry-After.
    form = await client.post("/login", data={"name": "cell1", "password": PASSWORD},
                             headers={"X-Forwarded-For": "198.51.100.3"}, allow_redirects=False)
    assert form.status == 429 and "Retry-After" in form.headers


async def test_password_checks_run_a_bounded_number_at_once(client: Any, ctx: Context) -> None:
    import threading
    import time

    from crisis.web.app_keys import CONTEXT
    await ctx.accounts.create_account("op1", Role.OPERATOR, PASSWORD, actor=ADMIN)
    accounts = client.app[CONTEXT].accounts
    verify = accounts._verify
    lock, running, peak = threading.Lock(), [0], [0]

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            result = bool(verify(password_hash, password))
            time.sleep(0.05)  # a slower machine's hash: checks overlap unless they are bounded
            return result
        finally:
            with lock:
                running[0] -= 1

    accounts._verify = counting
    answers = await asyncio.gather(*(_try(client, "op1", PASSWORD, f"192.0.2.{n}")
                                     for n in range(6)))
    assert [a.status for a in answers] == [200] * 6
    assert peak[0] == 1
