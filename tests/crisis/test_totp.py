"""The second factor: an account with TOTP signs in only with its current code, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crisis.context import Context
from crisis.totp import code_now
from crisis.types import Role
from tests.conftest import ADMIN
from tests.crisis.test_cli import run

PASSWORD = "correct horse battery staple"


async def test_an_account_with_a_second_factor_needs_its_code_once(client: Any,
                                                                   ctx: Context) -> None:
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    secret = await ctx.accounts.set_totp("cellule", enable=True, actor=ADMIN)
    assert secret is not None
    body = {"name": "cellule", "password": PASSWORD}
    assert (await client.post("/api/session", json=body)).status == 401  # no code
    wrong = await client.post("/api/session", json={**body, "code": "000000"})
    assert wrong.status == 401 and "6-digit code" in (await wrong.json())["error"]["message"]
    code = code_now(secret)
    assert (await client.post("/api/session", json={**body, "code": code})).status == 200
    client.session.cookie_jar.clear()
    replayed = await client.post("/api/session", json={**body, "code": code})
    assert replayed.status == 401  # a code works once
    await ctx.accounts.set_totp("cellule", enable=False, actor=ADMIN)
    assert (await client.post("/api/session", json=body)).status == 200


async def test_the_sign_in_page_asks_for_the_code_and_says_what_failed(client: Any,
                                                                      ctx: Context) -> None:
    await ctx.accounts.create_account("admin2", Role.ADMIN, PASSWORD, actor=ADMIN)
    await ctx.accounts.set_totp("admin2", enable=True, actor=ADMIN)
    page = await (await client.get("/login")).text()
    assert 'autocomplete="one-time-code"' in page and "Code de vérification" in page
    refused = await client.post("/login", data={"name": "admin2", "password": PASSWORD},
                                allow_redirects=False)
    assert refused.status == 401 and "code de vérification incorrect" in await refused.text()


def test_the_command_line_prints_the_uri_once(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "users", "add", "chef", "--role", "cell", cwd=tmp_path)
    shown = run(env, "users", "totp", "chef", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("otpauth://totp/") and "secret: " in shown.stdout
    off = run(env, "users", "totp", "chef", "--off", cwd=tmp_path)
    assert off.returncode == 0 and "password only" in off.stderr
