"""Same-origin checks for the writes that come before any session: logging in.

Every other cookie write carries the session's CSRF token; a login has no session yet, so a
page on another site could post the login form (login CSRF: the victim ends up signed in as
the attacker, and what they type lands in the attacker's account). Browsers say where a
request comes from: `Origin` on every cross-origin POST, `Sec-Fetch-Site` on all recent ones.
A request that names another origin, or that the browser marks cross-site, is refused.
A script (curl, the CLI, tests) sends neither header and is let through: it has no victim.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from crisis.errors import Forbidden
from crisis.web.app_keys import CONTEXT

SAME = frozenset({"same-origin", "none"})  # "none": typed by the user, a bookmark


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin == "null":  # a sandboxed frame or a redirect chain hiding its source
            return False
        public = _origin_of(request.app[CONTEXT].settings.base_url)
        return origin.lower() == public or urlsplit(origin).netloc.lower() == request.host.lower()
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is None or fetch_site in SAME


def require_same_origin(request: web.Request) -> None:
    """Forbidden (403) for a cross-origin login attempt."""
    if not same_origin(request):
        raise Forbidden("logging in is only possible from this site's own pages "
                        "(cross-origin request refused)")
