"""The `crisis` command: parses arguments, reads settings once, runs one command.

Exit status: 0 success, 1 a user error (one line on stderr, no traceback), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence

from dotenv import dotenv_values

from crisis.cli import core_commands, kb_commands, site_commands
from crisis.cli.parser import build_parser
from crisis.cli.runtime import acting_principal, command_context, redis_url_for
from crisis.context import Context
from crisis.errors import CrisisError
from crisis.logs import configure_logging
from crisis.settings import Settings, load_settings
from crisis.types import Principal

log = logging.getLogger(__name__)

Command = Callable[[Context, Principal, argparse.Namespace], Awaitable[None]]

COMMANDS: dict[tuple[str, str | None], Command] = {
    ("users", "add"): core_commands.users_add,
    ("users", "list"): core_commands.users_list,
    ("tokens", "create"): core_commands.tokens_create,
    ("scenarios", "list"): core_commands.scenarios_list,
    ("activate", None): core_commands.activate,
    ("status", None): core_commands.status,
    ("close", None): core_commands.transition,
    ("de-escalate", None): core_commands.transition,
    ("re-escalate", None): core_commands.transition,
    ("level", None): core_commands.level,
    ("publish", None): core_commands.publish,
    ("site", "build"): site_commands.site_build,
    ("site", "rollback"): site_commands.site_rollback,
    ("site", "dark"): site_commands.site_dark,
    ("site", "targets"): site_commands.site_targets,
    ("kb", "import"): kb_commands.kb_import,
    ("kb", "export"): kb_commands.kb_export,
    ("kb", "ask"): kb_commands.kb_ask,
    ("kb", "eval"): kb_commands.kb_eval,
}


def read_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The process environment over an optional ./.env file (the environment wins)."""
    from_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**from_file, **environ}


async def _run_command(settings: Settings, url: str, args: argparse.Namespace) -> None:
    command = COMMANDS[(args.command, getattr(args, "action", None))]
    async with command_context(settings, url) as ctx:
        actor = await acting_principal(ctx, args.as_user)
        await command(ctx, actor, args)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits 2 on bad usage, as argparse does
    env = read_environment(os.environ if environ is None else environ)
    try:
        settings = load_settings(env)
        configure_logging(settings.log_format, settings.log_level)
        if args.command in ("up", "web", "worker"):
            from crisis.cli import processes  # imports aiohttp app and rq only when needed
            if args.command == "up":
                return processes.run_up(settings, args, env)
            runner = processes.run_web if args.command == "web" else processes.run_worker
            return runner(settings, args)
        with redis_url_for(settings) as url:
            asyncio.run(_run_command(settings, url, args))
        return 0
    except CrisisError as err:
        print(f"crisis: error: {err.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
