"""CLI commands on the core: accounts, tokens, scenarios, crises, publications."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from crisis.accounts import parse_role, require_role
from crisis.context import Context
from crisis.errors import InvalidInput, NotFound
from crisis.types import Principal, Role, utcnow

if TYPE_CHECKING:
    from channels.skills import Skills

# Modules a single command needs are imported in that command, so that the others (above
# all `crisis status`) do not load the contact centre (bench/bench_cli.py).

MAX_PUBLICATION_FILE = 200_000


def say(text: str) -> None:
    """Progress and results for people go to stderr; stdout keeps what scripts read."""
    print(text, file=sys.stderr, flush=True)


def _new_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin (--password-stdin), or a generated one; and whether generated."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    from crisis.password_policy import generate_password

    return generate_password(args.name), True


async def users_add(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    password, generated = _new_password(args)
    expires = utcnow() + dt.timedelta(hours=args.expires_hours) if args.expires_hours else None
    role = parse_role(args.role)
    skills = operator_skills(args, role)  # checked before the account exists
    account = await ctx.accounts.create_account(args.name, role, password,
                                                actor=actor, expires_at=expires,
                                                reinforcement=args.reinforcement)
    if skills is not None:
        from channels.keys import ChannelKeys
        from channels.router import Router

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
    from channels.skills import Skills

    lists = {name: tuple(v.strip() for v in value.split(",") if v.strip())
             for name, value in given.items() if value}
    return Skills(**lists).check()


async def users_list(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    for account in await ctx.accounts.list_accounts():
        expiry = f" expires {account.expires_at:%Y-%m-%d %H:%M} UTC" if account.expires_at else ""
        state = " disabled" if account.disabled else ""
        print(f"{account.name:<20} {account.role.value:<11}{state}{expiry}")


async def users_passwd(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    password, generated = _new_password(args)
    await ctx.accounts.set_password(args.name, password, actor=actor)
    say(f"password of {args.name} changed; its open sessions have ended")
    if generated:
        print(f"password: {password}")


async def users_totp(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    secret = await ctx.accounts.set_totp(args.name, enable=not args.off, actor=actor)
    if secret is None:
        say(f"{args.name} signs in with a password only (no second factor)")
        return
    from crisis.totp import provisioning_uri

    say(f"{args.name} now needs a 6-digit code at each sign-in: scan this URI with an "
        "authenticator app (or type the secret in it), shown only once")
    print(provisioning_uri(secret, args.name))
    print(f"secret: {secret}")


async def users_disable(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    _, tokens = await ctx.accounts.disable_account(args.name, actor=actor)
    say(f"account {args.name} disabled: its sessions have ended and {tokens} API token(s) "
        "of that name were revoked")


async def audit(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Print the audit trail (the cell's view, as GET /api/audit), one entry a line, UTC."""
    from crisis.audit import parse_since, printable, read_audit

    require_role(actor, Role.CELL, "read the audit trail")
    since = parse_since(args.since) if args.since else None
    entries = await read_audit(ctx.redis, ctx.keys, args.limit, since=since, actor=args.actor)
    if not entries:
        say("no audit entry matches")
    for entry in entries:
        change = " -> ".join(printable(v, 80) for v in (entry.before, entry.after) if v)
        where = f" from {entry.address}" if entry.address else ""
        print(f"{entry.at:%Y-%m-%dT%H:%M:%SZ} {printable(entry.actor, 80):<24} "
              f"{entry.action:<16} {printable(entry.target, 80)}"
              f"{'  ' + change if change else ''}{where}")


async def audit_archive(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Append the audit entries not yet archived to the day files of DIR (crisis/audit_archive.py)."""
    from crisis.audit_archive import archive

    require_role(actor, Role.ADMIN, "archive the audit trail")
    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder: give the archive's folder")

    def progress(written: int) -> None:
        if written % 100_000 == 0:  # a first run over a full trail: a few seconds
            say(f"... {written:,} entries written")
    report = await archive(ctx.redis, ctx.keys, folder, progress)
    if report.trimmed_before_archive:
        say(f"warning: the trail no longer holds the newest archived entry ({report.last_id}): "
            "Redis trimmed past it before this run, so entries may be missing from the archive; "
            "archive more often (docs/operations.md, \"The audit trail's archive\")")
    files = f" to {', '.join(report.files)}" if report.files else ""
    say(f"{report.written:,} audit entries archived{files} in {folder}"
        + (f"; newest {report.last_id}" if report.last_id else "; the trail is empty"))


async def tokens_create(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    token = await ctx.accounts.create_token(args.name, parse_role(args.role), actor=actor,
                                            expires_days=args.expires_days)
    expires = utcnow() + dt.timedelta(days=args.expires_days)
    say(f"keep this token now: it is shown only once; it expires on {expires:%Y-%m-%d} "
        "(revoke it with `crisis tokens revoke NAME`)")
    print(token)


async def tokens_list(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    tokens = await ctx.accounts.list_tokens()
    if not tokens:
        say("no API token (create one with `crisis tokens create NAME --role ROLE`)")
    for token in tokens:
        expiry = f"{token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never"
        print(f"{token.name:<20} {token.role.value:<11} created {token.created_at:%Y-%m-%d %H:%M} "
              f"UTC by {token.created_by:<18} expires {expiry}")


async def tokens_revoke(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    count = await ctx.accounts.revoke_tokens(args.name, actor=actor)
    say(f"{count} API token(s) named {args.name} revoked")


def scenarios_list(args: argparse.Namespace) -> None:
    """The scenario templates the package ships (no centre needed)."""
    from crisis.scenarios import load_scenarios

    for scenario in load_scenarios().values():
        print(f"{scenario.id:<22} {scenario.title.fr:<28} {scenario.summary.fr[:60]}")


async def activate(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    from crisis.activation import activate_scenario
    from crisis.scenarios import get_scenario

    scenario = get_scenario(args.scenario)
    say(f"activating {scenario.title.fr}: publishing its {len(scenario.instructions)} instructions...")
    crisis = await activate_scenario(ctx.crises, ctx.publications, args.scenario,
                                     areas=args.area, level=args.level, actor=actor,
                                     title=args.title)
    say(f"active: {crisis.title} (level {crisis.level}, "
        f"areas {', '.join(crisis.areas) or 'national'}); the site rebuild is queued")
    print(crisis.id)


async def status(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    from crisis.heartbeat import process_counts

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
    from crisis.publication_file import parse_publication

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


async def publications_ledger(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """The record of official statements (one JSON line per change); --verify checks it."""
    from crisis.statements import read_statements, verify_statements

    if args.verify:
        problems = await verify_statements(ctx.redis, ctx.keys)
        if problems:
            raise InvalidInput("the record of statements does not hold: " + "; ".join(problems))
        say("the record of statements holds: every chain is whole")
        return
    for entry in await read_statements(ctx.redis, ctx.keys, args.publication_id):
        print(json.dumps(entry, ensure_ascii=False))
