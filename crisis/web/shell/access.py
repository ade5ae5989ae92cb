"""Who may open which page: each role's home, the landing after sign-in, the role each page
needs (declared by the packages that serve them) and the role check of every page and route.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from crisis.errors import Forbidden, Unauthorized
from crisis.types import Principal, Role
from crisis.web.app_keys import PRINCIPAL

# Where each role lands after signing in, and where "home" links lead.
HOMES: Final = {Role.OPERATOR: "/console/", Role.SUPERVISOR: "/console/supervisor",
                Role.CELL: "/cell/", Role.ADMIN: "/cell/"}
# Which role a page needs, by path prefix; packages add theirs at setup (longest wins).
PAGE_ROLES: web.AppKey[dict[str, Role]] = web.AppKey("page_roles", dict)


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


def require(request: web.Request, role: Role) -> Principal:
    """The caller, if it has at least `role`; Unauthorized or Forbidden otherwise (a page asked
    with GET and no session then redirects to the sign-in page, see crisis.web.middleware)."""
    principal = request[PRINCIPAL]
    if principal is None:
        raise Unauthorized("log in, or send an API bearer token")
    if not principal.role.at_least(role):
        raise Forbidden(f"this needs the {role.value} role; you are {principal.role.value}")
    return principal


def cell_user(request: web.Request) -> Principal:
    """The cell member asking for a cell page (GET without a session: to the sign-in page)."""
    return require(request, Role.CELL)
