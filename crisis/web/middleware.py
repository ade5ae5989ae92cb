"""Middleware of every web process: errors to JSON, who is calling, CSRF, security headers."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler

from crisis.accounts import Session
from crisis.errors import CrisisError, CsrfMismatch, TryLater, Unauthorized
from crisis.metrics import observe_request
from crisis.types import Principal
from crisis.web import error_pages
from crisis.web.app_keys import CONTEXT, PRINCIPAL, SESSION
# The role check lives with the page shell's other access rules; the API modules import it
# from here as they always have.
from crisis.web.shell.access import require as require

log = logging.getLogger(__name__)

SESSION_COOKIE = "crisis_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

# The console and the cell's pages are ours alone: no framing, no third-party anything.
HTML_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
            "object-src 'none'")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CLIENT_GONE = 499  # nginx's word for it: the client closed the connection first


def wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/hooks/", "/chat/")) or \
        "application/json" in request.headers.get("Accept", "")


def error_response(request: web.Request, status: int, code: str, message: str,
                   error: CrisisError | None = None) -> web.Response:
    """JSON `{"error": {code, message}}` for the API; a page in the reader's language for a
    browser (a GET without a session goes to the login page instead of a 401)."""
    if wants_json(request):
        return web.json_response({"error": {"code": code, "message": message}}, status=status)
    if status == 401 and request.method == "GET":
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
    return error_pages.error_response(request, status, error)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CrisisError -> its status with {"error": {code, message}}; anything else -> logged 500."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except CrisisError as err:
        status = err.http_status
        response = error_response(request, err.http_status, err.code, err.message, err)
        if isinstance(err, TryLater):
            response.headers["Retry-After"] = str(err.retry_after_s)
        return response
    except web.HTTPException as exc:
        status = exc.status
        if exc.status < 400:
            raise
        if wants_json(request):
            code = "too_large" if exc.status == 413 else exc.reason.lower().replace(" ", "_")
            return error_response(request, exc.status, code, exc.text or exc.reason)
        # aiohttp's own 404/405/413... become the same pages; their headers (Allow) stay.
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() not in ("content-type", "content-length")}
        return error_pages.error_response(request, exc.status, None, headers)
    except asyncio.CancelledError:
        status = CLIENT_GONE  # the client went away (aiohttp cancels its handler): not ours
        raise
    except Exception:  # the process edge: log it, never show a traceback to a client
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return error_response(request, 500, "internal", "internal error; it was logged")
    finally:
        route = request.match_info.route.resource
        observe_request(request.method, route.canonical if route else "unmatched", status,
                        time.perf_counter() - started)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the caller (bearer token or session cookie) and enforce CSRF on cookie writes."""
    accounts = request.app[CONTEXT].accounts
    request[PRINCIPAL] = None
    request[SESSION] = None
    if request.path == "/metrics":
        return await handler(request)  # its own bearer (CRISIS_METRICS_TOKEN), not an API token
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        principal = await accounts.principal_for_token(authorization[7:].strip())
        if principal is None:
            raise Unauthorized("unknown or revoked API token")
        request[PRINCIPAL] = principal
        return await handler(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await accounts.get_session(cookie) if cookie else None
    if session is not None:
        request[SESSION] = session
        request[PRINCIPAL] = Principal(session.name, session.role, "session", session.restricted)
        if request.method in UNSAFE_METHODS:
            await _check_csrf(request, session)
    return await handler(request)


async def _check_csrf(request: web.Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in ("application/x-www-form-urlencoded",
                                             "multipart/form-data"):
        sent = str((await request.post()).get(CSRF_FIELD, ""))
    if not hmac.compare_digest(sent, session.csrf):
        raise CsrfMismatch("missing or wrong CSRF token: reload the page and try again")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: headers for every response; a handler's own CSP is kept."""
    headers = response.headers
    headers["Server"] = "crisis-centre"  # no software or version banner for a scanner to match
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.content_type == "text/html":
        headers.setdefault("Content-Security-Policy", HTML_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(("/api/", "/console/", "/cell/", "/login")):
        headers.setdefault("Cache-Control", "no-store")
