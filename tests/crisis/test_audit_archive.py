"""The audit trail archived to day files before Redis trims it (crisis/audit_archive.py,
`crisis audit archive DIR`), on a real Redis."""

from __future__ import annotations

import asyncio
import fcntl
import json
from pathlib import Path

import msgspec
import pytest

from crisis.audit import sign_in_entry, write_audit
from crisis.audit_archive import LOCK_NAME, archive, resume_point
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import AuditEntry, Role
from tests.conftest import ADMIN
from tests.crisis.test_cli import assert_one_line_error, run


async def _write(ctx: Context, names: range) -> None:
    for i in names:
        await write_audit(ctx.redis, ctx.keys, sign_in_entry(f"user{i}", "api", "10.0.0.1",
                                                             ok=True, detail="operator"))


def _archived(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(folder.glob("audit-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


async def test_every_entry_is_archived_once_in_order_across_runs(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    await _write(ctx, range(1500))  # more than a page
    first = await archive(ctx.redis, ctx.keys, folder)
    assert first.written == 1500 and not first.trimmed_before_archive
    await _write(ctx, range(1500, 1510))
    second = await archive(ctx.redis, ctx.keys, folder)
    again = await archive(ctx.redis, ctx.keys, folder)
    assert (second.written, again.written) == (10, 0)
    lines = _archived(folder)
    assert [msgspec.convert(line["entry"], AuditEntry).target for line in lines] == [f"user{i}" for i in range(1510)]
    ids = [str(line["id"]) for line in lines]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))) and len(set(ids)) == 1510
    assert await ctx.redis.get(ctx.keys.audit_archived) == ids[-1]
    assert first.files == (f"audit-{lines[0]['entry']['at'][:10]}.jsonl",)  # type: ignore[index]


async def test_a_run_that_died_mid_line_loses_and_repeats_nothing(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    await _write(ctx, range(5))
    await archive(ctx.redis, ctx.keys, folder)
    day_file = next(folder.glob("audit-*.jsonl"))
    whole = day_file.read_text(encoding="utf-8")
    last_line = whole.splitlines()[-1]
    # The process was killed while writing the last line: half of it is on disk.
    day_file.write_text(whole[:-len(last_line) - 1] + last_line[:20], encoding="utf-8")
    report = await archive(ctx.redis, ctx.keys, folder)
    assert report.written == 1
    assert day_file.read_text(encoding="utf-8") == whole


async def test_trimmed_before_archiving_is_said(ctx: Context, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    await _write(ctx, range(3))
    await archive(ctx.redis, ctx.keys, folder)
    newest = resume_point(folder)
    await _write(ctx, range(3, 6))
    # Redis trimmed the archived entries and the first unarchived one (a burst of entries
    # larger than the cap between two runs).
    await ctx.redis.xtrim(ctx.keys.audit, maxlen=2, approximate=False)
    report = await archive(ctx.redis, ctx.keys, folder)
    assert report.trimmed_before_archive and report.written == 2 and newest is not None
    assert [line["entry"]["target"] for line in _archived(folder)] == [  # type: ignore[index]
        "user0", "user1", "user2", "user4", "user5"]


async def test_the_command_archives_says_how_many_and_is_for_administrators(
        ctx: Context, env: dict[str, str], tmp_path: Path) -> None:
    await _write(ctx, range(3))
    folder = tmp_path / "archive"
    result = await asyncio.to_thread(run, env, "audit", "archive", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 audit entries archived to audit-" in result.stderr
    assert len(_archived(folder)) == 3
    again = await asyncio.to_thread(run, env, "audit", "archive", str(folder), cwd=tmp_path)
    assert "0 audit entries archived" in again.stderr

    await ctx.accounts.create_account("carol", Role.CELL, "correct horse battery staple",
                                      actor=ADMIN)
    assert_one_line_error(await asyncio.to_thread(
        run, env, "--as", "carol", "audit", "archive", str(folder), cwd=tmp_path),
        "may not archive the audit trail: needs admin")
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    assert_one_line_error(await asyncio.to_thread(
        run, env, "audit", "archive", str(a_file), cwd=tmp_path), "is not a folder")
    # The trail's reading is unchanged beside the new subcommand.
    shown = await asyncio.to_thread(run, env, "audit", "--limit", "2", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.count("\n") == 2


async def test_entries_go_to_the_file_of_their_utc_day(ctx: Context, tmp_path: Path) -> None:
    encoded = msgspec.json.encode(sign_in_entry("ann", "api", None, ok=True, detail="cell")).decode()
    midnight = 1_764_806_400_000  # 2025-12-04T00:00:00Z, in milliseconds
    for stream_id in (f"{midnight - 2}-0", f"{midnight - 1}-0", f"{midnight}-0", f"{midnight}-1"):
        await ctx.redis.xadd(ctx.keys.audit, {"entry": encoded}, id=stream_id)
    report = await archive(ctx.redis, ctx.keys, tmp_path)
    assert report.files == ("audit-2025-12-03.jsonl", "audit-2025-12-04.jsonl")
    ids = {p.name: [json.loads(line)["id"] for line in p.read_text(encoding="utf-8").splitlines()]
           for p in tmp_path.glob("audit-*.jsonl")}
    assert ids == {"audit-2025-12-03.jsonl": [f"{midnight - 2}-0", f"{midnight - 1}-0"],
                   "audit-2025-12-04.jsonl": [f"{midnight}-0", f"{midnight}-1"]}


async def test_one_run_at_a_time_and_a_foreign_last_line_is_a_clear_error(
        ctx: Context, tmp_path: Path) -> None:
    await _write(ctx, range(2))
    tmp_path.mkdir(exist_ok=True)
    with (tmp_path / LOCK_NAME).open("a") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(InvalidInput, match="another `crisis audit archive` is writing"):
            await archive(ctx.redis, ctx.keys, tmp_path)
    assert not list(tmp_path.glob("audit-*.jsonl"))  # it wrote nothing
    await archive(ctx.redis, ctx.keys, tmp_path)
    day_file = next(tmp_path.glob("audit-*.jsonl"))
    with day_file.open("a", encoding="utf-8") as f:
        f.write("someone's note\n")
    with pytest.raises(InvalidInput, match="its last line is not an archived audit entry"):
        await archive(ctx.redis, ctx.keys, tmp_path)


async def test_an_entry_redis_holds_garbled_is_archived_as_it_is_and_stops_nothing(
        ctx: Context, tmp_path: Path) -> None:
    await ctx.redis.xadd(ctx.keys.audit, {"entry": "not json {"})
    assert (await archive(ctx.redis, ctx.keys, tmp_path)).written == 1
    await _write(ctx, range(1))
    assert (await archive(ctx.redis, ctx.keys, tmp_path)).written == 1
    lines = next(tmp_path.glob("audit-*.jsonl")).read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith('"entry": not json {}') and json.loads(lines[1])["entry"]["target"] == "user0"
