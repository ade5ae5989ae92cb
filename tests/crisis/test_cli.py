"""The `crisis` command in a real subprocess: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from channels.keys import ChannelKeys
from channels.router import Router
from crisis.context import Context
from crisis.types import OperatorStatus


def run(env: dict[str, str], *args: str, stdin: str = "", cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crisis", *args], env={**env, "PATH": "/usr/bin:/bin"},
                          input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("crisis: error: ") and fragment in lines[-1], result.stderr
    assert "Traceback" not in result.stderr


def test_activate_prints_the_id_and_status_shows_it(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "activate", "inondation", "--area", "75,92", "--level", "2",
                 "--title", "Crue de la Seine", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    crisis_id = result.stdout.strip()
    assert crisis_id.startswith("inondation-")
    status = run(env, "status", cwd=tmp_path)
    assert crisis_id in status.stdout and "level 2" in status.stdout
    as_json = run(env, "status", "--json", cwd=tmp_path)
    import json
    assert json.loads(as_json.stdout)["crises"][0]["id"] == crisis_id
    closed = run(env, "close", crisis_id, "--reason", "décrue", cwd=tmp_path)
    assert closed.returncode == 0 and "closed" in closed.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (("activate", "volcano"), "unknown scenario 'volcano'"),
    (("activate", "inondation", "--area", "75,999"), "unknown departement code(s): 999"),
    (("close", "nope-20260101-1"), "no crisis 'nope-20260101-1'"),
    (("publish", "/nonexistent.md"), "no file /nonexistent.md"),
])
def test_user_errors_are_one_line_and_exit_1(env: dict[str, str], tmp_path: Path,
                                            args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run(env, *args, cwd=tmp_path), fragment)


def test_bad_usage_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "users", "add", "x", "--role", "wizard", cwd=tmp_path).returncode == 2
    assert run(env, "activate", "inondation", "--level", "7", cwd=tmp_path).returncode == 2
    assert run(env, cwd=tmp_path).returncode == 2


def test_wrong_role_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    created = run(env, "users", "add", "bob", "--role", "operator", "--password-stdin",
                  stdin="a long enough password\n", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert_one_line_error(run(env, "--as", "bob", "activate", "canicule", cwd=tmp_path),
                          "bob (operator) may not create a crisis: needs cell")


def test_generated_password_and_token_are_printed_once(env: dict[str, str], tmp_path: Path) -> None:
    created = run(env, "users", "add", "alice", "--role", "cell", cwd=tmp_path)
    assert created.stdout.startswith("password: ")
    token = run(env, "tokens", "create", "ci", "--role", "cell", cwd=tmp_path)
    assert token.stdout.strip().startswith("crt_") and "only once" in token.stderr
    again = run(env, "users", "add", "alice", "--role", "cell", cwd=tmp_path)
    assert_one_line_error(again, "already exists")


def test_publish_goes_as_far_as_the_role_allows(env: dict[str, str], tmp_path: Path) -> None:
    document = tmp_path / "pub.md"
    document.write_text("---\ntitle: Routes coupées\narea: [92]\npriority: high\n---\n"
                        "Évitez la N13.\n", encoding="utf-8")
    run(env, "users", "add", "sup", "--role", "supervisor", "--password-stdin",
        stdin="a long enough password\n", cwd=tmp_path)
    as_supervisor = run(env, "--as", "sup", "publish", str(document), cwd=tmp_path)
    assert as_supervisor.returncode == 0 and "submitted" in as_supervisor.stderr
    as_admin = run(env, "publish", str(document), cwd=tmp_path)
    assert as_admin.returncode == 0 and "published" in as_admin.stderr


def test_invalid_configuration_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    assert_one_line_error(run({**env, "CRISIS_PORT": "http"}, "status", cwd=tmp_path),
                          "CRISIS_PORT='http'")


def test_scenarios_list_names_all_eight(env: dict[str, str], tmp_path: Path) -> None:
    listed = run(env, "scenarios", "list", cwd=tmp_path).stdout
    for scenario in ("inondation", "canicule", "accident-industriel", "accident-nucleaire",
                     "attentat", "pandemie", "cyberattaque", "tempete"):
        assert scenario in listed


async def test_an_operator_created_with_skills_keeps_them_when_signing_in(
        env: dict[str, str], tmp_path: Path, ctx: Context) -> None:
    created = run(env, "users", "add", "ana", "--role", "operator", "--langs", "en,fr",
                  "--channels", "sms", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "answers fr,en; channels sms" in created.stderr
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("ana", OperatorStatus.AVAILABLE)  # what signing in does
    state = await router.operator("ana")
    assert (state.langs, state.channels, state.status) == (("fr", "en"), ("sms",),
                                                           OperatorStatus.AVAILABLE)
    # A bad skill is refused before the account exists; skills are for operators.
    assert_one_line_error(run(env, "users", "add", "bo", "--role", "operator", "--langs", "xx",
                              cwd=tmp_path), "unknown language 'xx'")
    assert_one_line_error(run(env, "users", "add", "bo", "--role", "cell", "--langs", "fr",
                              cwd=tmp_path), "are for operators and supervisors")
    assert "bo " not in run(env, "users", "list", cwd=tmp_path).stdout


def test_a_folder_without_a_centre_is_named_and_left_untouched(tmp_path: Path) -> None:
    bare = {"CRISIS_SECRET_KEY": "test-secret-key-not-for-production"}  # no REDIS_URL, no dir
    result = run(bare, "status", cwd=tmp_path)
    assert_one_line_error(result, f"no centre in {tmp_path / 'var'}")
    assert "CRISIS_DATA_DIR" in result.stderr and "--data-dir" in result.stderr
    assert not (tmp_path / "var").exists()  # no empty centre was created there


def test_data_dir_option_reaches_an_existing_centre(tmp_path: Path) -> None:
    from crisis.redis_server import EmbeddedRedis

    centre = tmp_path / "centre"
    server = EmbeddedRedis(centre)  # what `crisis up` leaves behind
    server.start()
    server.stop()
    bare = {"CRISIS_SECRET_KEY": "test-secret-key-not-for-production"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(bare, "--data-dir", str(centre), "status", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "no live crisis" in result.stdout
    assert not (elsewhere / "var").exists()


@pytest.mark.parametrize("argv", [["--help"], ["status"], ["scenarios", "list"]])
def test_light_commands_do_not_load_the_contact_centre(env: dict[str, str], tmp_path: Path,
                                                        argv: list[str]) -> None:
    # Each command loads what it uses (bench/bench_cli.py measures the time): none of these
    # needs the web stack, the channels or the knowledge base.
    probe = ("import sys\nfrom crisis.cli import main\n"
             f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
             "heavy = sorted(m for m in ('aiohttp', 'channels', 'knowledge_base', 'static_site',"
             " 'twilio', 'telegram', 'jinja2', 'numpy', 'rq', 'yaml') if m in sys.modules)\n"
             "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", probe], env={**env, "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
