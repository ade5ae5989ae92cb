"""Every sign-in, successful or not, is in the audit trail: who, how, from where, when;
`crisis audit` and GET /api/audit read it back, filtered."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from crisis.audit import parse_since, read_audit, sign_in_entry, write_audit
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import Role, utcnow
from tests.conftest import ADMIN, bearer
from tests.crisis.test_cli import assert_one_line_error, run

PASSWORD = "correct horse battery staple"


async def _sign_ins(ctx: Context) -> list[Any]:
    return [e for e in await read_audit(ctx.redis, ctx.keys, 100)
            if e.action.startswith("login")]


async def test_each_sign_in_attempt_is_audited_with_who_how_where_and_when(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("alice", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    before = utcnow()
    ok = await client.post("/api/session", json={"name": "alice", "password": PASSWORD})
    assert ok.status == 200
    client.session.cookie_jar.clear()  # a signed-in browser's POSTs need its CSRF token
    wrong = await client.post("/api/session", json={"name": "alice", "password": "not it at all"})
    assert wrong.status == 401
    unknown = await client.post("/login", data={"name": "mallory", "password": "guess guess!"},
                                allow_redirects=False)
    assert unknown.status == 401
    page = await client.post("/login", data={"name": "alice", "password": PASSWORD},
                             allow_redirects=False)
    assert page.status == 303

    entries = list(reversed(await _sign_ins(ctx)))  # oldest first
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("api:alice", "login", "alice"),
        ("api:alice", "login.failed", "alice"),
        ("session:mallory", "login.failed", "mallory"),
        ("session:alice", "login", "alice"),
    ]
    assert {e.address for e in entries} == {"127.0.0.1"}
    assert all(before <= e.at <= utcnow() for e in entries)
    assert entries[0].after == "supervisor"
    assert entries[1].after == "wrong account name or password"
    assert all(PASSWORD not in repr(e) for e in entries)  # never the password


async def test_a_disabled_account_signing_in_is_audited_with_the_reason(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("bob", Role.OPERATOR, PASSWORD, actor=ADMIN)
    await ctx.accounts.disable_account("bob", actor=ADMIN)
    assert (await client.post("/api/session", json={"name": "bob", "password": PASSWORD})
            ).status == 401
    [entry] = await _sign_ins(ctx)
    assert entry.action == "login.failed" and "disabled" in (entry.after or "")


async def test_the_cell_reads_sign_ins_through_the_api_filtered_by_actor(
        client: Any, ctx: Context) -> None:
    await ctx.accounts.create_account("carol", Role.OPERATOR, PASSWORD, actor=ADMIN)
    for password in ("wrong password 1", PASSWORD):
        await client.post("/api/session", json={"name": "carol", "password": password})
        client.session.cookie_jar.clear()
    client.session.cookie_jar.clear()
    cell = await bearer(ctx, "cellule", Role.CELL)
    response = await client.get("/api/audit?actor=carol&since=1h&limit=10", headers=cell)
    assert response.status == 200, await response.text()
    items = (await response.json())["items"]
    assert [i["action"] for i in items] == ["login", "login.failed"]
    assert items[0]["address"] == "127.0.0.1"
    bad = await client.get("/api/audit?since=yesterday-ish", headers=cell)
    assert bad.status == 400 and "ISO 8601" in (await bad.json())["error"]["message"]
    assert (await client.get("/api/audit?limit=lots", headers=cell)).status == 400
    operator = await bearer(ctx, "someone", Role.OPERATOR)
    assert (await client.get("/api/audit", headers=operator)).status == 403


async def test_reading_is_filtered_by_time_and_actor_across_a_long_trail(ctx: Context) -> None:
    old = sign_in_entry("dave", "api", "10.0.0.1", ok=True, detail="operator")
    await write_audit(ctx.redis, ctx.keys, old)
    cut = utcnow() + dt.timedelta(milliseconds=5)
    await asyncio.sleep(0.01)  # the stream's ids are milliseconds: the next entries come after
    await write_audit(ctx.redis, ctx.keys, sign_in_entry("dave", "session", "10.0.0.2",
                                                         ok=False, detail="wrong"))
    for i in range(1200):  # more than two pages of other actors after dave's entries
        await write_audit(ctx.redis, ctx.keys, sign_in_entry(f"user{i}", "api", None,
                                                             ok=True, detail="operator"))
    everything = await read_audit(ctx.redis, ctx.keys, 10, actor="dave")
    assert [e.address for e in everything] == ["10.0.0.2", "10.0.0.1"]
    recent = await read_audit(ctx.redis, ctx.keys, 10, actor="dave", since=cut)
    assert [e.address for e in recent] == ["10.0.0.2"]
    assert [e.actor for e in await read_audit(ctx.redis, ctx.keys, 10, actor="api:dave")] \
        == ["api:dave"]
    assert len(await read_audit(ctx.redis, ctx.keys, 1000)) == 1000


def test_times_are_read_as_iso_8601_in_utc_or_as_a_time_ago() -> None:
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    assert parse_since("2026-12-01", now) == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert parse_since("2026-12-01T10:00+01:00", now).astimezone(dt.UTC).hour == 9
    assert parse_since("90m", now) == now - dt.timedelta(minutes=90)
    assert parse_since("7d", now) == now - dt.timedelta(days=7)
    with pytest.raises(InvalidInput, match="30m, 12h, 7d"):
        parse_since("last tuesday", now)


async def test_crisis_audit_prints_the_trail_safely_on_a_terminal(
        client: Any, ctx: Context, env: dict[str, str], tmp_path: Path) -> None:
    await ctx.accounts.create_account("erin", Role.CELL, PASSWORD, actor=ADMIN)
    await client.post("/api/session", json={"name": "erin", "password": PASSWORD})
    client.session.cookie_jar.clear()
    # A name someone typed to forge a second line and recolour the terminal.
    await client.post("/api/session", json={"name": "x\n2026 signin admin\x1b[31m",
                                            "password": "whatever it is"})
    result = await asyncio.to_thread(run, env, "audit", "--since", "1h", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3  # the forged name stays on its own line; erin's account creation
    assert "login.failed" in lines[0] and "\x1b" not in result.stdout
    assert "api:x?2026 signin admin?[31m" in lines[0] and "from 127.0.0.1" in lines[0]
    assert "api:erin" in lines[1] and "login" in lines[1] and "cell" in lines[1]
    assert "account.create" in lines[2]

    only = await asyncio.to_thread(run, env, "audit", "--actor", "erin", "--limit", "1",
                                   cwd=tmp_path)
    assert only.stdout.count("\n") == 1 and "api:erin" in only.stdout
    assert_one_line_error(await asyncio.to_thread(run, env, "audit", "--since", "soon",
                                                  cwd=tmp_path), "cannot read the time 'soon'")
    await ctx.accounts.create_account("frank", Role.OPERATOR, PASSWORD, actor=ADMIN)
    assert_one_line_error(await asyncio.to_thread(run, env, "--as", "frank", "audit",
                                                  cwd=tmp_path), "may not read the audit trail")
