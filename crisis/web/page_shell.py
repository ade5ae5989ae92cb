"""What every signed-in page shares, whichever package renders it: the language choice, the
role's home, who may open which page, the account bar (who, sign out) and the local clock.

The console (channels) and the cell (static_site, knowledge_base) render with their own
templates; they call these functions so that the same request gets the same language, the
same home and the same sign-out everywhere.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from crisis.i18n import pick_lang, t
from crisis.local_time import Style, local_time
from crisis.types import Principal, Role
from crisis.web.app_keys import CONTEXT, PRINCIPAL, SESSION

# Where each role lands after signing in, and where "home" links lead.
HOMES: Final = {Role.OPERATOR: "/console/", Role.SUPERVISOR: "/console/supervisor",
                Role.CELL: "/cell/", Role.ADMIN: "/cell/"}
# Which role a page needs, by path prefix; packages add theirs at setup (longest wins).
PAGE_ROLES: web.AppKey[dict[str, Role]] = web.AppKey("page_roles", dict)


def request_lang(request: web.Request) -> str:
    """The page's language: ?lang= wins, then the browser's Accept-Language, then French.
    The one choice of every page (console, cell, login, error pages)."""
    return pick_lang(request.query.get("lang"), request.headers.get("Accept-Language", ""))


def lang_query(request: web.Request) -> str:
    """"?lang=xx" for the links of a page asked in a chosen language, "" when the browser's
    language chose it (then the next page follows the browser too)."""
    chosen = request.query.get("lang")
    return f"?lang={request_lang(request)}" if chosen else ""


def home_of(role: Role) -> str:
    return HOMES[role]


def add_page_roles(app: web.Application, roles: dict[str, Role]) -> None:
    """Declare the role the pages under each path prefix need (for the landing after login)."""
    if PAGE_ROLES not in app:
        app[PAGE_ROLES] = {}
    app[PAGE_ROLES].update(roles)


def needed_role(app: web.Application, path: str) -> Role | None:
    """The role the page at `path` needs (longest declared prefix), None for public pages."""
    roles = app.get(PAGE_ROLES, {})
    prefixes = [p for p in roles if path.startswith(p) or path + "/" == p]
    return roles[max(prefixes, key=len)] if prefixes else None


def local_path(target: str) -> str | None:
    """`target` if it is a path of this site, else None: a login link must not bounce the user
    to another site (no scheme, no host, no "//" or "/\\" protocol-relative trick)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in target):  # no header splitting either
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith(("//", "/\\")):
        return None
    return target


def landing(app: web.Application, role: Role, next_url: str) -> str:
    """Where a user of `role` goes after signing in: `next_url` when it is a local page the
    role may open, else the role's home (never a page that would answer 403)."""
    target = local_path(next_url)
    if target is None or urlsplit(target).path == "/login":
        return home_of(role)
    needed = needed_role(app, urlsplit(target).path)
    return target if needed is None or role.at_least(needed) else home_of(role)


def account_bar(principal: Principal | None, csrf: str, lang: str) -> str:
    """HTML of who is signed in and the sign-out button (a POST form carrying the CSRF token),
    for the header of every signed-in page; "" for a visitor."""
    if principal is None or principal.via != "session":
        return ""
    e = html.escape
    return (f'<div class="account"><p class="who">{e(t("signed_in_as", lang))} '
            f'<strong>{e(principal.name)}</strong></p>'
            f'<form method="post" action="/logout?lang={lang}" class="logout">'
            f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
            f'<button type="submit">{e(t("logout", lang))}</button></form></div>')


def account_bar_of(request: web.Request, lang: str) -> str:
    session = request.get(SESSION)
    return account_bar(request.get(PRINCIPAL), session.csrf if session else "", lang)


def clock_of(request: web.Request, lang: str) -> Callable[..., str]:
    """The page's time formatter: `clock(value, "time")` in CRISIS_TIMEZONE and `lang`."""
    zone = request.app[CONTEXT].settings.zone

    def clock(value: dt.datetime, style: Style = "datetime") -> str:
        return local_time(value, zone, lang, style)

    return clock
