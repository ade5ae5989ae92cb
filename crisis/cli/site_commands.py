"""CLI commands of the static site: build, rollback, dark sites, rsync targets."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.errors import CrisisError
from crisis.types import Principal
from knowledge_base import KnowledgeBase
from static_site.dark_site import prepare_dark_sites
from static_site.model import SiteConfig
from static_site.service import run_build, run_rollback
from static_site.targets import add_target, list_targets, remove_target


async def site_build(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Full build; publishes to CRISIS_SITE_DIR, or to --out."""
    target = Path(args.out) if args.out else ctx.settings.site_path
    say(f"building the site into {target}...")
    record = await run_build(ctx.redis, ctx.keys, SiteConfig.from_settings(ctx.settings), target,
                             kb=KnowledgeBase.from_context(ctx), trigger=f"cli by {actor.label()}",
                             full=True)
    if not record.ok:
        raise CrisisError(f"the build failed, the previous site stays online: {record.error}")
    say(f"{record.pages_changed} pages in {record.seconds:.2f} s, published at {target}")


async def site_rollback(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Switch the live site back to the previous build (or to BUILD_ID)."""
    record = await run_rollback(ctx.redis, ctx.keys, ctx.settings.site_path,
                                build_id=args.build_id, actor=actor.label())
    say(f"the site is now build {record.id}")


async def site_dark(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Prepare the dark sites (one ready build per scenario)."""
    reports = await asyncio.to_thread(prepare_dark_sites, SiteConfig.from_settings(ctx.settings),
                                      ctx.settings.site_path, args.scenario or None)
    for report in reports:
        say(f"dark site {report.directory.name}: {report.total_pages} pages in {report.seconds:.2f} s")


async def site_targets(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """List, add or remove the rsync destinations pushed after each build."""
    for target in args.add or ():
        await add_target(ctx.redis, ctx.keys, target)
    for target in args.remove or ():
        await remove_target(ctx.redis, ctx.keys, target)
    for target in await list_targets(ctx.redis, ctx.keys):
        say(target)
