"""Logging in: refused from another site (login CSRF), throttled per account and per address
with Retry-After, failures audited and counted, a bounded number of password hashes at once."""

from __future__ import annotations

from typing import Any

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
        assert "cross-origin request refused" in await forged.text()
        assert "Set-Cookie" not in forged.headers
        api = await client.post("/api/session", json=body, headers=headers)
        assert api.status == 403 and "Set-Cookie" not in api.headers
    # The site's own login page, and scripts (no Origin at all), still log in.
    page = await client.post("/login", data=form, headers={"Origin": own,
                                                           "Sec-Fetch-Site": "same-origin"},
                             allow_redirects=False)
    assert page.status == 303 and "crisis_session" in page.headers.get("Set-Cookie", "")
    client.session.cookie_jar.clear()
    script = await client.post("/api/session", json=body)
    assert script.status == 200
