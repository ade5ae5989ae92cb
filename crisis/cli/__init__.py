"""The `crisis` command: parses arguments, reads settings once, runs one command.

Exit status: 0 success, 1 a user error (one line on stderr, no traceback), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crisis.cli.parser import build_parser

if TYPE_CHECKING:
    from crisis.context import Context
    from crisis.settings import Settings
    from crisis.types import Principal

log = logging.getLogger(__name__)

Command = Callable[["Context", "Principal", argparse.Namespace], Awaitable[None]]

# Each command names the module that holds it, imported only when that command runs: a
# command loads what it uses (`crisis --help` loads nothing but the parser, `crisis status`
# no contact centre, no aiohttp), so the command line answers fast (bench/bench_cli.py).
COMMANDS: dict[tuple[str, str | None], str] = {
    ("users", "add"): "core_commands:users_add",
    ("users", "list"): "core_commands:users_list",
    ("users", "passwd"): "core_commands:users_passwd",
    ("users", "disable"): "core_commands:users_disable",
    ("users", "totp"): "core_commands:users_totp",
    ("tokens", "create"): "core_commands:tokens_create",
    ("tokens", "list"): "core_commands:tokens_list",
    ("tokens", "revoke"): "core_commands:tokens_revoke",
    ("audit", None): "core_commands:audit",
    ("audit", "archive"): "core_commands:audit_archive",
    ("activate", None): "core_commands:activate",
    ("status", None): "core_commands:status",
    ("close", None): "core_commands:transition",
    ("de-escalate", None): "core_commands:transition",
    ("re-escalate", None): "core_commands:transition",
    ("level", None): "core_commands:level",
    ("publish", None): "core_commands:publish",
    ("publications", "ledger"): "core_commands:publications_ledger",
    ("site", "build"): "site_commands:site_build",
    ("site", "rollback"): "site_commands:site_rollback",
    ("site", "dark"): "site_commands:site_dark",
    ("site", "targets"): "site_commands:site_targets",
    ("citizens", "export"): "privacy_commands:citizens_export",
    ("citizens", "erase"): "privacy_commands:citizens_erase",
    ("retention", "hold"): "privacy_commands:retention_hold",
    ("retention", "release"): "privacy_commands:retention_release",
    ("retention", "status"): "privacy_commands:retention_status",
    ("kb", "import"): "kb_commands:kb_import",
    ("kb", "export"): "kb_commands:kb_export",
    ("kb", "ask"): "kb_commands:kb_ask",
    ("kb", "eval"): "kb_commands:kb_eval",
    ("signals", "import"): "watch_commands:signals_import",
    ("feeds", "add"): "watch_commands:feeds_add",
    ("feeds", "list"): "watch_commands:feeds_list",
    ("feeds", "remove"): "watch_commands:feeds_remove",
    ("polls", "import"): "watch_commands:polls_import",
    ("mastodon", "check"): "watch_commands:mastodon_check",
    ("report", None): "report_commands:report",
}


# Commands that need no centre (no Redis): they read files the package ships.
LOCAL_COMMANDS: dict[tuple[str, str | None], str] = {
    ("scenarios", "list"): "core_commands:scenarios_list",
}


def _key(args: argparse.Namespace) -> tuple[str, str | None]:
    return args.command, getattr(args, "action", None)


def _load(dotted: str) -> Any:
    module_name, function_name = dotted.split(":")
    return getattr(importlib.import_module(f"crisis.cli.{module_name}"), function_name)


def command_for(args: argparse.Namespace) -> Command:
    """The function that runs the parsed command (its module is imported now)."""
    command: Command = _load(COMMANDS[_key(args)])
    return command


def read_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment over an optional ./.env file (the environment wins)."""
    from dotenv import dotenv_values

    from_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**from_file, **environ}


async def _run_command(settings: Settings, url: str, args: argparse.Namespace) -> None:
    from crisis.cli.runtime import acting_principal, command_context

    command = command_for(args)
    async with command_context(settings, url) as ctx:
        actor = await acting_principal(ctx, args.as_user)
        await command(ctx, actor, args)


# Commands that start a centre (they create the data directory); every other command works
# on an existing centre and says so when the data directory holds none.
STARTING_COMMANDS = ("up", "web", "worker", "smtp")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits 2 on bad usage, as argparse does
    env = read_environment(os.environ if environ is None else environ)
    if args.data_dir:
        env["CRISIS_DATA_DIR"] = args.data_dir
    from crisis.errors import CrisisError

    try:
        from crisis.logs import configure_logging
        from crisis.settings import load_settings

        settings = load_settings(env)
        configure_logging(settings.log_format, settings.log_level)
        if args.command in STARTING_COMMANDS:
            from crisis.cli import processes  # imports aiohttp app and rq only when needed
            if args.command == "up":
                return processes.run_up(settings, args, env)
            runner = {"web": processes.run_web, "worker": processes.run_worker,
                      "smtp": processes.run_smtp}[args.command]
            return runner(settings, args)
        if _key(args) in LOCAL_COMMANDS:
            _load(LOCAL_COMMANDS[_key(args)])(args)
            return 0
        from crisis.cli.runtime import redis_url_for, require_centre

        require_centre(settings)
        with redis_url_for(settings) as url:
            asyncio.run(_run_command(settings, url, args))
        return 0
    except CrisisError as err:
        print(f"crisis: error: {err.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
