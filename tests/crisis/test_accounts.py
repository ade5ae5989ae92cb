"""Accounts, sessions and API tokens: an account that ends takes its sessions and tokens with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from crisis.context import Context
from crisis.types import Account, Role, utcnow
from tests.conftest import ADMIN
from tests.crisis.test_cli import assert_one_line_error, run

PASSWORD = "correct horse battery staple"


async def _sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    response = await client.post("/api/session", json={"name": name, "password": password})
    assert response.status == 200, await response.text()
    return response


async def _can_read_own_session(client: Any) -> bool:
    return (await client.get("/api/me")).status == 200


async def test_disabling_an_account_ends_its_open_sessions_and_tokens_at_once(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("op7", Role.OPERATOR, PASSWORD, actor=ADMIN)
    await _sign_in(client, "op7")
    token = await ctx.accounts.create_token("op7", Role.OPERATOR, actor=ADMIN)
    bearer = {"Authorization": f"Bearer {token}"}
    assert await _can_read_own_session(client)
    assert (await client.get("/api/conversations", headers=bearer)).status == 200

    _, revoked = await ctx.accounts.disable_account("op7", actor=ADMIN)

    assert revoked == 1
    assert not await _can_read_own_session(client)  # the very next request, not in 12 h
    assert (await client.get("/api/conversations", headers=bearer)).status == 401
    again = await client.post("/api/session", json={"name": "op7", "password": PASSWORD})
    assert again.status == 401


async def test_a_new_password_ends_the_sessions_opened_with_the_old_one(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("sup7", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    await _sign_in(client, "sup7")
    await ctx.accounts.set_password("sup7", "another long password", actor=ADMIN)
    assert not await _can_read_own_session(client)
    wrong = await client.post("/api/session", json={"name": "sup7", "password": PASSWORD})
    assert wrong.status == 401
    await _sign_in(client, "sup7", "another long password")
    assert await _can_read_own_session(client)


async def test_a_reinforcement_session_ends_when_the_account_expires(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("renfort", Role.OPERATOR, PASSWORD, actor=ADMIN,
                                      expires_at=utcnow() + dt.timedelta(hours=1),
                                      reinforcement=True)
    await _sign_in(client, "renfort")
    assert await _can_read_own_session(client)
    # The account's end date passes (moved into the past, as time would do it).
    raw = await ctx.redis.get(ctx.keys.account("renfort"))
    account = msgspec.json.decode(raw, type=Account)
    await ctx.redis.set(ctx.keys.account("renfort"), msgspec.json.encode(msgspec.structs.replace(
        account, expires_at=utcnow() - dt.timedelta(seconds=1))))
    # The session carries the expiry it was opened with: shorten it the same way.
    for key in [k async for k in ctx.redis.scan_iter(ctx.keys.session("*"))]:
        session = msgspec.json.decode(await ctx.redis.get(key))
        session["account_expires_at"] = (utcnow() - dt.timedelta(seconds=1)).isoformat()
        await ctx.redis.set(key, msgspec.json.encode(session), keepttl=True)
    assert not await _can_read_own_session(client)


async def test_tokens_expire_and_are_listed_and_revoked_by_name(
        client: Any, ctx: Context) -> None:
    first = await ctx.accounts.create_token("scraper", Role.SUPERVISOR, actor=ADMIN)
    await ctx.accounts.create_token("scraper", Role.SUPERVISOR, actor=ADMIN, expires_days=1)
    await ctx.accounts.create_token("ci", Role.CELL, actor=ADMIN)
    listed = await ctx.accounts.list_tokens()
    assert [t.name for t in listed] == ["ci", "scraper", "scraper"]
    assert all(t.expires_at is not None and t.expires_at > utcnow() for t in listed)
    ttl = await ctx.redis.ttl(ctx.keys.token(listed[0].token_hash))
    assert 89 * 86400 < ttl <= 90 * 86400  # the default lifetime, enforced by Redis

    assert await ctx.accounts.revoke_tokens("scraper", actor=ADMIN) == 2
    assert [t.name for t in await ctx.accounts.list_tokens()] == ["ci"]
    revoked = await client.get("/api/conversations", headers={"Authorization": f"Bearer {first}"})
    assert revoked.status == 401


def test_the_command_line_resets_a_password_and_disables_an_account(
        env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "users", "add", "paul", "--role", "operator", cwd=tmp_path).returncode == 0
    reset = run(env, "users", "passwd", "paul", cwd=tmp_path)
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith("password: ") and "sessions have ended" in reset.stderr
    chosen = run(env, "users", "passwd", "paul", "--password-stdin", stdin="short\n", cwd=tmp_path)
    assert_one_line_error(chosen, "password too short: 5 characters, at least 12")
    common = run(env, "users", "passwd", "paul", "--password-stdin", stdin="Motdepasse2026!\n",
                 cwd=tmp_path)
    assert_one_line_error(common, "list of common or breached passwords")
    assert_one_line_error(run(env, "users", "passwd", "nobody", cwd=tmp_path), "no account named")

    run(env, "tokens", "create", "paul", "--role", "operator", cwd=tmp_path)
    disabled = run(env, "users", "disable", "paul", cwd=tmp_path)
    assert disabled.returncode == 0 and "1 API token(s)" in disabled.stderr
    assert "disabled" in run(env, "users", "list", cwd=tmp_path).stdout


def test_the_command_line_lists_and_revokes_tokens(env: dict[str, str], tmp_path: Path) -> None:
    created = run(env, "tokens", "create", "grafana", "--role", "supervisor",
                  "--expires-days", "30", cwd=tmp_path)
    assert created.returncode == 0 and "expires on" in created.stderr
    listed = run(env, "tokens", "list", cwd=tmp_path)
    assert "grafana" in listed.stdout and "supervisor" in listed.stdout
    assert "crt_" not in listed.stdout  # the secret is never shown again
    assert run(env, "tokens", "revoke", "grafana", cwd=tmp_path).returncode == 0
    assert "grafana" not in run(env, "tokens", "list", cwd=tmp_path).stdout
    assert_one_line_error(run(env, "tokens", "revoke", "grafana", cwd=tmp_path),
                          "no API token named 'grafana'")
