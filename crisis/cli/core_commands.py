"""CLI commands on the core: accounts, tokens, scenarios, crises, publications."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import msgspec

from channels.keys import ChannelKeys
from channels.router import Router
from channels.skills import Skills
from crisis.accounts import parse_role
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.heartbeat import process_counts
from crisis.publication_file import parse_publication
from crisis.scenarios import get_scenario, load_scenarios
from crisis.types import Principal, Role, utcnow

MAX_PUBLICATION_FILE = 200_000


def say(text: str) -> None:
    """Progress and results for people go to stderr; stdout keeps what scripts read."""
    print(text, file=sys.stderr, flush=True)


async def users_add(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        import secrets
        password, generated = secrets.token_urlsafe(12), True
    expires = utcnow() + dt.timedelta(hours=args.expires_hours) if args.expires_hours else None
    role = parse_role(args.role)
    skills = operator_skills(args, role)  # checked before the account exists
    account = await ctx.accounts.create_account(args.name, role, password,
                                                actor=actor, expires_at=expires,
                                                reinforcement=args.reinforcement)
    if skills is not None:
        await Router(ctx.redis, ChannelKeys(ctx.keys)).preset_skills(account.name, skills)
    described = "" if skills is None else "; " + skills.describe()
    say(f"account {account.name} ({account.role.value}) created{described}")
    if generated:
        print(f"password: {password}")


def operator_skills(args: argparse.Namespace, role: Role) -> Skills | None:
    """The skills given with --langs/--topics/--channels (checked), None when none was."""
    given = {name: getattr(args, name) for name in ("langs", "topics", "channels")}
    if not any(given.values()):
        return None
    if role not in (Role.OPERATOR, Role.SUPERVISOR):
        raise InvalidInput("--langs, --topics and --channels are for operators and supervisors")
    lists = {name: tuple(v.strip() for v in value.split(",") if v.strip())
             for name, value in given.items() if value}
    return Skills(**lists).check()


async def users_list(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    for account in await ctx.accounts.list_accounts():
        expiry = f" expires {account.expires_at:%Y-%m-%d %H:%M}" if account.expires_at else ""
        print(f"{account.name:<20} {account.role.value:<11}{expiry}")


async def tokens_create(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    token = await ctx.accounts.create_token(args.name, parse_role(args.role), actor=actor)
    say("keep this token now: it is shown only once")
    print(token)


async def scenarios_list(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    for scenario in load_scenarios().values():
        print(f"{scenario.id:<22} {scenario.title.fr:<28} {scenario.summary.fr[:60]}")


async def activate(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    scenario = get_scenario(args.scenario)
    say(f"activating {scenario.title.fr}: publishing its {len(scenario.instructions)} instructions...")
    crisis = await activate_scenario(ctx.crises, ctx.publications, args.scenario,
                                     areas=args.area, level=args.level, actor=actor,
                                     title=args.title)
    say(f"active: {crisis.title} (level {crisis.level}, "
        f"areas {', '.join(crisis.areas) or 'national'}); the site rebuild is queued")
    print(crisis.id)


async def status(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    crises = await ctx.crises.list(include_closed=False)
    counts = await process_counts(ctx.redis, ctx.keys)
    if args.json:
        print(json.dumps({"crises": msgspec.to_builtins(crises), **counts}, ensure_ascii=False))
        return
    if not crises:
        print("no live crisis")
    for crisis in crises:
        areas = ",".join(crisis.areas) or "national"
        print(f"{crisis.id:<32} {crisis.state.value:<14} level {crisis.level}  {areas:<16} "
              f"{crisis.title}")
    print(f"processes: {counts['web_processes']} web, {counts['workers']} worker(s), "
          f"{counts['event_consumers']} event consumer(s)")


async def transition(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    name = args.command.replace("-", "_")
    crisis = await getattr(ctx.crises, name)(args.crisis_id, actor=actor, reason=args.reason)
    say(f"{crisis.id} is now {crisis.state.value}")


async def level(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    crisis = await ctx.crises.change_level(args.crisis_id, args.level, actor=actor,
                                           reason=args.reason)
    say(f"{crisis.id} is now at level {crisis.level}")


async def publish(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_PUBLICATION_FILE:
            raise InvalidInput(f"{path} is larger than {MAX_PUBLICATION_FILE} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no file {path}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    publication = await ctx.publications.publish_document(parse_publication(text), actor=actor)
    say(f"{publication.id} v{publication.version}: {publication.status.value}")
    print(publication.id)
