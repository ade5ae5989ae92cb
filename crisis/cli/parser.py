"""The `crisis` command line: every subcommand, its arguments and its help text."""

from __future__ import annotations

import argparse

from crisis.types import ChannelKind, Role

ROLES = [r.value for r in Role]


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _hidden_parent(parser: argparse.ArgumentParser) -> None:
    # Set by `crisis up` so a child exits when its supervisor is gone.
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crisis", description="Crisis information and multichannel contact centre.")
    parser.add_argument("--as", dest="as_user", metavar="NAME",
                        help="act as this account (its role decides what is allowed); "
                             "default: the local administrator")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="the centre's data directory (default: CRISIS_DATA_DIR, else ./var)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="run everything: web, workers, embedded Redis if needed")
    up.add_argument("--demo", action="store_true",
                    help="create demo accounts and a live demo crisis when absent")
    up.add_argument("--web-processes", type=_positive, default=1, metavar="N")
    up.add_argument("--workers", type=_positive, default=1, metavar="N")
    up.add_argument("--events-processes", type=_positive, default=1, metavar="N",
                    help="processes running the pipeline (each answers a few hundred "
                         "messages a second; a conversation's messages stay in order)")

    web = sub.add_parser("web", help="one web process (scale-out on an external Redis)")
    web.add_argument("--reuse-port", action="store_true", help="share the port with siblings")
    web.add_argument("--no-events", action="store_true",
                     help="only serve: the event consumers run in a `crisis worker --events`")
    _hidden_parent(web)
    worker = sub.add_parser("worker", help="one background worker (RQ)")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.add_argument("--events", action="store_true",
                        help="run the event consumers (the pipeline after each webhook or "
                             "chat message) instead of RQ jobs")
    _hidden_parent(worker)

    smtp = sub.add_parser("smtp", help="the e-mail channel's SMTP listener (behind the "
                          "relay; on CRISIS_SMTP_LISTEN, for CRISIS_MAIL_ACCEPT)")
    _hidden_parent(smtp)

    users = sub.add_parser("users", help="accounts").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create an account (prints a generated password once)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.add_argument("--expires-hours", type=_positive, default=None,
                     help="time-limited account")
    add.add_argument("--reinforcement", action="store_true",
                     help="reinforcement operator: may only send validated knowledge-base "
                          "answers; needs --expires-hours")
    add.add_argument("--langs", metavar="fr,en", help="operator/supervisor: languages answered "
                     "(default fr)")
    add.add_argument("--topics", metavar="T1,T2", help="operator/supervisor: preferred topics")
    add.add_argument("--channels", metavar="sms,chat", help="operator/supervisor: channels "
                     "taken (default all)")
    users.add_parser("list", help="list accounts")
    passwd = users.add_parser("passwd", help="set a new password (prints a generated one once); "
                              "ends the account's open sessions")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    totp = users.add_parser("totp", help="give an account a second factor (TOTP codes of an "
                            "authenticator app; advised for the cell and administrators)")
    totp.add_argument("name")
    totp.add_argument("--off", action="store_true", help="remove the second factor")
    disable = users.add_parser("disable", help="disable an account: its sessions and API tokens "
                               "end at once")
    disable.add_argument("name")

    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(dest="action", required=True)
    create = tokens.add_parser("create", help="create an API bearer token, printed once")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--expires-days", type=_positive, default=90, metavar="N",
                        help="the token stops working after N days (default 90)")
    tokens.add_parser("list", help="list API tokens: name, role, creation, expiry, last use")
    revoke = tokens.add_parser("revoke", help="revoke every API token of NAME at once")
    revoke.add_argument("name")

    audit = sub.add_parser("audit", help="the audit trail, newest first: every write and "
                           "every sign-in (who, how, from which address)")
    audit.add_argument("--since", metavar="T", default=None,
                       help="only entries from T on: ISO 8601 (UTC unless it has an offset) "
                            "or a time ago (30m, 12h, 7d)")
    audit.add_argument("--actor", metavar="NAME", default=None,
                       help="only this actor: an account name, or a label such as api:alice")
    audit.add_argument("--limit", type=_positive, default=50, metavar="N",
                       help="at most N entries (default 50)")
    archive = audit.add_subparsers(dest="action", required=False, metavar="{archive}") \
        .add_parser("archive", help="append every entry not yet archived to DIR/audit-DAY.jsonl "
                    "(one file per UTC day), before Redis trims the oldest; run it every hour")
    archive.add_argument("folder", metavar="DIR", help="the archive's folder (created if needed)")

    scenarios = sub.add_parser("scenarios", help="scenario templates")
    scenarios.add_subparsers(dest="action", required=True).add_parser("list", help="list them")

    activate = sub.add_parser("activate", help="activate a crisis from a scenario; prints its id")
    activate.add_argument("scenario")
    activate.add_argument("--area", default="", metavar="CODES",
                          help="departement codes, e.g. 75,92,2A (default: national)")
    activate.add_argument("--level", type=int, default=1, choices=(1, 2, 3))
    activate.add_argument("--title", default="")

    status = sub.add_parser("status", help="live crises and processes")
    status.add_argument("--json", action="store_true")

    for name, text in (("close", "close a crisis"), ("de-escalate", "start de-escalating"),
                       ("re-escalate", "back to active from de-escalating")):
        transition = sub.add_parser(name, help=text)
        transition.add_argument("crisis_id")
        transition.add_argument("--reason", default="")
    level = sub.add_parser("level", help="change the level of a live crisis")
    level.add_argument("crisis_id")
    level.add_argument("level", type=int, choices=(1, 2, 3))
    level.add_argument("--reason", default="")

    publish = sub.add_parser("publish", help="publish a Markdown file with front matter")
    publish.add_argument("file")

    citizens = sub.add_parser("citizens", help="one citizen's data on request (GDPR)") \
        .add_subparsers(dest="action", required=True)
    for action, text in (("export", "everything held about a citizen, as JSON on stdout"),
                         ("erase", "delete everything held about a citizen")):
        one = citizens.add_parser(action, help=text)
        one.add_argument("address", help="as the citizen gives it: +33612345678, an e-mail...")
        one.add_argument("--channel", default="sms", choices=[c.value for c in ChannelKind],
                         help="the channel of that address (default sms; a phone number "
                              "covers SMS and voice alike)")
        if action == "erase":
            one.add_argument("--forget-opt-out", action="store_true",
                             help="also forget that the citizen sent STOP")

    retention = sub.add_parser("retention", help="the retention of personal data") \
        .add_subparsers(dest="action", required=True)
    hold = retention.add_parser("hold", help="suspend the retention purge (an inquiry)")
    hold.add_argument("reason", help="why the data must be kept: the inquiry, its reference")
    retention.add_parser("release", help="let the retention purge run again")
    retention.add_parser("status", help="the retention period and any legal hold")

    publications = sub.add_parser("publications", help="official statements") \
        .add_subparsers(dest="action", required=True)
    ledger = publications.add_parser("ledger", help="who drafted, validated and published "
                                     "each statement, when, what text, on which channels")
    ledger.add_argument("publication_id", nargs="?", default=None)
    ledger.add_argument("--verify", action="store_true",
                        help="check that no entry was altered or removed")

    kb = sub.add_parser("kb", help="the knowledge base").add_subparsers(dest="action", required=True)
    kb_import = kb.add_parser("import", help="import articles from a JSON Lines file or a directory")
    kb_import.add_argument("path", metavar="FILE.jsonl|DIR")
    kb.add_parser("export", help="every article as JSON Lines on stdout")
    ask = kb.add_parser("ask", help="best answer for QUESTION, or for each line of stdin")
    ask.add_argument("question", nargs="?", default=None)
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("--lang", default=None, choices=("fr", "en"),
                     help="the question's language (default: told from its words, as for an SMS)")
    evaluate = kb.add_parser("eval", help="accuracy of the auto-answer on {q, expected} lines")
    evaluate.add_argument("file", metavar="FILE.jsonl")

    signals = sub.add_parser("signals", help="the watch's signals") \
        .add_subparsers(dest="action", required=True)
    signals_import = signals.add_parser("import", help="signal lines (JSON Lines) into the "
                                        "watch; every line is checked before any is written")
    signals_import.add_argument("file", metavar="FILE.jsonl")
    signals_import.add_argument("--skip-bad", action="store_true",
                                help="import the valid lines and report the bad ones "
                                     "(default: a bad line stops the whole import)")
    feeds = sub.add_parser("feeds", help="the watch's RSS/Atom feeds") \
        .add_subparsers(dest="action", required=True)
    feeds_add = feeds.add_parser("add", help="watch a feed (polled by the workers)")
    feeds_add.add_argument("url")
    feeds_add.add_argument("--name", default=None, help="short name (default: from the host)")
    feeds_add.add_argument("--every", default="60s", metavar="60s|5m|1h",
                           help="how often to poll it (default 60s; 30s to 24h)")
    feeds_add.add_argument("--kind", default="media", choices=("media", "official", "other"),
                           help="who publishes it (default media)")
    feeds_list = feeds.add_parser("list", help="the feeds, their health and its reason")
    feeds_list.add_argument("--json", action="store_true", help="one JSON object per line")
    feeds_remove = feeds.add_parser("remove", help="stop watching a feed")
    feeds_remove.add_argument("name")
    mastodon = sub.add_parser("mastodon", help="the watch's Mastodon source") \
        .add_subparsers(dest="action", required=True)
    mastodon_check = mastodon.add_parser("check", help="read MASTODON_API_BASE once as the "
                                         "watch would (nothing written): instance, hashtags, "
                                         "token, rate-limit budget")
    mastodon_check.add_argument("keyword", nargs="*",
                                help="keywords to try (default: the live crises' watch keywords)")
    polls = sub.add_parser("polls", help="opinion polls in the watch") \
        .add_subparsers(dest="action", required=True)
    polls_import = polls.add_parser("import", help="poll results from a UTF-8 CSV file (date, "
                                    "institute, question, answer, share, sample size, method); "
                                    "every row is checked before any is written")
    polls_import.add_argument("file", metavar="FILE.csv")
    report = sub.add_parser("report", help="the situation report (\"point de situation\") for "
                            "the cell's briefings: crises, contact centre, trends, rumours, "
                            "polls, publications of the period")
    report.add_argument("--from", dest="start", metavar="TIME", default=None,
                        help="start: ISO 8601 (UTC unless it has an offset) or a time ago "
                             "(30m, 12h, 7d); default 24 hours before --to")
    report.add_argument("--to", dest="end", metavar="TIME", default=None,
                        help="end, in the same forms (default: now)")
    report.add_argument("--format", default="md", choices=("md", "html", "pdf"),
                        help="Markdown (default), a printable HTML document, or PDF "
                             "(WeasyPrint; best with --out FILE.pdf)")
    report.add_argument("--lang", default="fr", choices=("fr", "en"))
    report.add_argument("--out", metavar="FILE", default=None,
                        help="write to FILE instead of standard output")

    site = sub.add_parser("site", help="the static site").add_subparsers(dest="action", required=True)
    build = site.add_parser("build", help="full build of the static site")
    build.add_argument("--out", default=None, metavar="DIR",
                       help="build into DIR instead of publishing to CRISIS_SITE_DIR")
    rollback = site.add_parser("rollback", help="switch the site back to the previous build")
    rollback.add_argument("build_id", nargs="?", default=None,
                          help="a kept build (default: the one before the live build)")
    dark = site.add_parser("dark", help="prepare the dark sites (one ready build per scenario)")
    dark.add_argument("scenario", nargs="*", help="scenario ids (default: all)")
    targets = site.add_parser("targets", help="list, add or remove rsync publish targets")
    targets.add_argument("--add", action="append", metavar="DEST", help="host:/path or /path")
    targets.add_argument("--remove", action="append", metavar="DEST")
    return parser
