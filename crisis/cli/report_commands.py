"""`crisis report`: the situation report ("point de situation") for the cell's briefings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crisis.accounts import require_role
from crisis.audit import parse_since
from crisis.cli.core_commands import say
from crisis.context import Context
from crisis.types import Principal, Role
from crisis.web.app_keys import CONTEXT
from crisis.web.situation_api import situation_body
from monitoring.report_pdf import report_pdf
from monitoring.report_render import report_html, report_markdown
from monitoring.situation_report import build_report, period_of


async def report(ctx: Context, actor: Principal, args: argparse.Namespace) -> None:
    """Print (or write to --out) the report of the period, from the same figures as the
    situation view: the application is built (not served) so that every package registers
    its section, exactly as in the web process."""
    from crisis.app import build_app  # the whole application: only this command needs it

    require_role(actor, Role.SUPERVISOR, "write the situation report")
    start, end = period_of(parse_since(args.start) if args.start else None,
                           parse_since(args.end) if args.end else None)
    app_ctx = build_app(ctx.settings, ctx.redis_url, consume_events=False)[CONTEXT]
    try:
        body = await situation_body(app_ctx)
    finally:
        await app_ctx.close()
    data = await build_report(ctx, start, end, by=actor.name, body=body)
    if args.format == "pdf":
        pdf = report_pdf(data, args.lang)
        if args.out:
            Path(args.out).write_bytes(pdf)
            say(f"situation report written to {args.out} ({len(pdf) // 1024} KiB)")
        else:
            sys.stdout.buffer.write(pdf)
        return
    text = report_html(data, args.lang) if args.format == "html" else report_markdown(data, args.lang)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        say(f"situation report written to {args.out}")
    else:
        print(text, end="")
