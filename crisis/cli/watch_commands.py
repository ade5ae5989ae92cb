"""CLI commands of the watch (`crisis signals import`, `crisis feeds add|list|remove`,
`crisis polls import`, `crisis mastodon check`)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from crisis.accounts import require_role
from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.types import Principal, Role
from monitoring.feeds import POLL_JOB, Feeds, parse_every
from monitoring.keys import WatchKeys
from monitoring.polls import Polls, read_poll_file
from monitoring.signal_batches import import_file

async def signals_import(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Every line checked first; then all written (or, with --skip-bad, the valid ones)."""
    written, errors = await import_file(ctx.redis, WatchKeys(ctx.keys), Path(args.file),
                                        skip_bad=args.skip_bad, progress=say)
    if errors.count:
        say(f"skipped {errors.count} bad line(s): {errors.summary()}")
    say(f"imported {written} signals into the watch's intake")


async def feeds_add(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    feed = await Feeds(ctx.redis, WatchKeys(ctx.keys)).add(
        args.url, name=args.name, every_s=parse_every(args.every), author_kind=args.kind)
    await asyncio.to_thread(ctx.jobs.enqueue, POLL_JOB, feed.name, feed.chain, retries=0)
    say(f"feed {feed.name} added: {feed.url}, polled every {feed.every_s} s by the workers")


async def feeds_list(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    listing = await Feeds(ctx.redis, WatchKeys(ctx.keys)).listing()
    if args.json:
        for feed in listing:
            print(json.dumps(feed, ensure_ascii=False))
        return
    if not listing:
        say("no feed; add one with `crisis feeds add URL`")
    for feed in listing:
        reason = f" ({feed['reason']})" if feed["reason"] else ""
        print(f"{feed['name']}\t{feed['health']}{reason}\tevery {feed['every_s']} s\t"
              f"{feed['entries']} entries\t{feed['url']}")


async def feeds_remove(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    await Feeds(ctx.redis, WatchKeys(ctx.keys)).remove(args.name)
    say(f"feed {args.name} removed (its pending poll stops by itself)")


async def polls_import(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Every row checked first (a bad row named by its line: nothing written); then all at once."""
    require_role(actor, Role.CELL, "import polls")
    results = await asyncio.to_thread(read_poll_file, Path(args.file))
    written = await Polls(ctx.redis, WatchKeys(ctx.keys)).put(results)
    questions = len({r.question for r in results})
    say(f"imported {written} poll results ({questions} question(s)) into the watch")


async def mastodon_check(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Reads the instance once as the watch would (nothing written); exit 1 with the reason."""
    from monitoring.mastodon_watch import check_instance, client_for  # Mastodon.py: here only
    from monitoring.watch_keywords import keywords_key_of
    from monitoring.watchlist import keywords_from_hash

    keywords = list(args.keyword) or sorted(
        keywords_from_hash(await ctx.redis.hvals(keywords_key_of(ctx.keys))))
    api = client_for(ctx.settings)
    say(f"checking {ctx.settings.mastodon_api_base} for {len(keywords)} keyword(s)")
    for line in await asyncio.to_thread(check_instance, api, keywords,
                                        with_search=ctx.settings.mastodon_access_token is not None):
        print(line)
