"""CLI commands of the knowledge base (`crisis kb ...`)."""

from __future__ import annotations

import argparse

from crisis.context import Context
from crisis.errors import ConfigError
from crisis.types import Principal


def _not_yet(name: str) -> ConfigError:
    return ConfigError(f"`crisis kb {name}` is being built; see docs/knowledge-base.md")


async def kb_import(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    raise _not_yet("import")


async def kb_export(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    raise _not_yet("export")


async def kb_ask(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    raise _not_yet("ask")


async def kb_eval(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    raise _not_yet("eval")
