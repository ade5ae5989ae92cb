"""CLI commands on personal data: one citizen's data (GDPR articles 15 and 17: export it,
erase it) and the legal hold that suspends the retention purge during an inquiry.

Only an administrator runs them (the data protection officer's request, carried out at the
server); each run is in the audit trail (a citizen under their id, never their address).
"""

from __future__ import annotations

import argparse
import json

from channels.citizen_data import citizen_of, erase_citizen, export_citizen
from channels.keys import ChannelKeys
from channels.retention import hold_of, release_hold, set_hold
from crisis.accounts import require_role
from crisis.audit import audit_entry, write_audit
from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.types import ChannelKind, Principal, Role


def _citizen(ctx: Context, args: argparse.Namespace) -> str:
    try:
        channel = ChannelKind(args.channel)
    except ValueError:
        raise InvalidInput(f"unknown channel {args.channel!r}") from None
    return citizen_of(ctx.secret, channel, args.address)


async def _audit(ctx: Context, actor: Principal, action: str, citizen: str, after: str) -> None:
    await write_audit(ctx.redis, ctx.keys, audit_entry(actor, action, citizen, after=after))


async def citizens_export(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    require_role(actor, Role.ADMIN, "export a citizen's data")
    citizen = _citizen(ctx, args)
    data = await export_citizen(ctx.redis, ChannelKeys(ctx.keys), citizen)
    await _audit(ctx, actor, "citizen.export", citizen, f"{len(data['conversations'])} conversations")
    say(f"citizen {citizen}: {len(data['conversations'])} conversation(s), "
        f"{len(data['addresses'])} address(es){', opted out' if data['opted_out'] else ''}")
    print(json.dumps(data, ensure_ascii=False, indent=2))


async def citizens_erase(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    require_role(actor, Role.ADMIN, "erase a citizen's data")
    citizen = _citizen(ctx, args)
    report = await erase_citizen(ctx.redis, ChannelKeys(ctx.keys), citizen,
                                 forget_opt_out=args.forget_opt_out)
    await _audit(ctx, actor, "citizen.erase", citizen,
                 f"{report.conversations} conversations, {report.addresses} addresses")
    kept = "" if args.forget_opt_out else " (an opt-out, if any, is kept: --forget-opt-out)"
    say(f"citizen {citizen}: {report.conversations} conversation(s) and {report.addresses} "
        f"address(es) erased{kept}")


async def retention_hold(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    require_role(actor, Role.ADMIN, "hold personal data")
    await set_hold(ctx.redis, ChannelKeys(ctx.keys), actor, args.reason)
    say(f"legal hold set: the retention purge deletes nothing until `crisis retention release` "
        f"({ctx.settings.retention_days}-day retention suspended)")


async def retention_release(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    require_role(actor, Role.ADMIN, "release a legal hold")
    released = await release_hold(ctx.redis, ChannelKeys(ctx.keys), actor)
    say("legal hold released: the next purge deletes what is past its retention"
        if released else "there was no legal hold")


async def retention_status(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    hold = await hold_of(ctx.redis, ChannelKeys(ctx.keys))
    print(f"retention: {ctx.settings.retention_days} days after a crisis closes; " + (
        "no legal hold" if hold is None else
        f"LEGAL HOLD since {hold['at']} by {hold['by']}: {hold['reason']}"))
