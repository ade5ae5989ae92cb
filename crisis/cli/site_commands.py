"""CLI commands of the static site."""

from __future__ import annotations

import argparse
from pathlib import Path

from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.types import Principal
from static_site.builder import build_site


async def site_build(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Full build; publishes to CRISIS_SITE_DIR, or to --out."""
    target = Path(args.out) if args.out else ctx.settings.site_path
    say(f"building the site into {target}...")
    report = await build_site(ctx.redis, ctx.keys, ctx.bus, target)
    say(f"{report.pages} pages in {report.seconds:.2f} s, published at {target}")
