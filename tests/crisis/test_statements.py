"""The record of official statements: every change, who and what, chained so that tampering
shows."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from crisis.context import Context
from crisis.keys import Keys
from crisis.lifecycle import PublicationAction
from crisis.publication_file import PublicationDraft
from crisis.statements import read_statements, text_digest, verify_statements
from crisis.types import Priority
from tests.conftest import CELL, SUPERVISOR
from tests.crisis.test_cli import assert_one_line_error, run


async def test_every_change_is_recorded_chained_and_checked(ctx: Context) -> None:
    draft = PublicationDraft(id="eau-coupee", title="Eau coupée", body="Ne buvez pas l'eau.",
                             lang="fr", priority=Priority.HIGH)
    await ctx.publications.save_draft(draft, actor=SUPERVISOR)
    await ctx.publications.move("eau-coupee", PublicationAction.SUBMIT, actor=SUPERVISOR)
    await ctx.publications.move("eau-coupee", PublicationAction.VALIDATE, actor=CELL)
    published = await ctx.publications.move("eau-coupee", PublicationAction.PUBLISH, actor=CELL)
    entries = await read_statements(ctx.redis, ctx.keys, "eau-coupee")
    assert [(e["action"], e["actor"]) for e in entries][-3:] == [
        ("submit", SUPERVISOR.label()), ("validate", CELL.label()), ("publish", CELL.label())]
    assert entries[0]["actor"] == SUPERVISOR.label()  # who drafted
    assert entries[-1]["channels"] == ["site"] and entries[0]["channels"] == []
    assert entries[-1]["text_sha256"] == text_digest(published)
    assert await verify_statements(ctx.redis, ctx.keys) == []

    # Someone with access to Redis removes the validation from the record: it shows.
    ids = [i for i, _ in await ctx.redis.xrange(ctx.keys.statements)]
    await ctx.redis.xdel(ctx.keys.statements, ids[-2])
    problems = await verify_statements(ctx.redis, ctx.keys)
    assert problems and "eau-coupee" in problems[0]


async def test_a_forged_entry_shows(ctx: Context) -> None:
    draft = PublicationDraft(id="abri", title="Abri", body="Restez chez vous.", lang="fr",
                             priority=Priority.URGENT)
    await ctx.publications.save_draft(draft, actor=CELL)
    [entry] = await read_statements(ctx.redis, ctx.keys, "abri")
    forged = {**entry, "actor": "session:someone-else"}
    await ctx.redis.xadd(ctx.keys.statements, {"entry": json.dumps(forged)})
    problems = await verify_statements(ctx.redis, ctx.keys)
    assert any("altered" in p for p in problems)


def test_the_ledger_on_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    notice = tmp_path / "n.md"
    notice.write_text("---\ntitle: Routes\narea: [75]\n---\nÉvitez la N13.\n", encoding="utf-8")
    assert run(env, "publish", str(notice), cwd=tmp_path).returncode == 0
    lines = run(env, "publications", "ledger", "routes", cwd=tmp_path).stdout.splitlines()
    assert [json.loads(line)["action"] for line in lines][-1] == "publish"
    checked = run(env, "publications", "ledger", "--verify", cwd=tmp_path)
    assert checked.returncode == 0 and "holds" in checked.stderr
    # The first entry removed by hand: the check says so, in one line, exit 1.
    client = redis.Redis.from_url(env["REDIS_URL"])
    keys = Keys(env["CRISIS_REDIS_PREFIX"])
    client.xdel(keys.statements, client.xrange(keys.statements)[0][0])
    client.close()
    assert_one_line_error(run(env, "publications", "ledger", "--verify", cwd=tmp_path),
                          "does not hold")
