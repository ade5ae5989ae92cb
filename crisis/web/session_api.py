"""Logging in and out: the HTML login page, the JSON session API and /api/me.

The session cookie is HttpOnly, SameSite=Strict and Secure behind https; pages send the
CSRF token the session carries with every write (header or form field).
"""

from __future__ import annotations

import html
from urllib.parse import quote

import msgspec
from aiohttp import web

from crisis.accounts import Session
from crisis.errors import Unauthorized
from crisis.i18n import t
from crisis.types import Principal, Role
from crisis.web.api_registry import ApiRoute, add_api_route
from crisis.web.app_keys import CONTEXT, SESSION
from crisis.web.json_io import json_response, read_body
from crisis.web.login_guard import LOGIN_GUARD, LoginGuard
from crisis.web.middleware import SESSION_COOKIE, require
from crisis.web.origin import require_same_origin
from crisis.web.shell import landing, lang_of, local_path


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    password: str
    code: str = ""  # the TOTP code, for an account with a second factor


def _safe_next(target: str) -> str:
    """Only same-site paths: a login link must not bounce the user to another site. ""
    (unknown yet) means the home of whoever signs in."""
    return local_path(target) or ""


async def _open(request: web.Request, response: web.StreamResponse, principal: Principal) -> Session:
    ctx = request.app[CONTEXT]
    raw, session = await ctx.accounts.open_session(principal, ctx.settings.session_hours)
    response.set_cookie(
        SESSION_COOKIE, raw, httponly=True, samesite="Strict", path="/",
        secure=ctx.settings.base_url.startswith("https://"),
        max_age=ctx.settings.session_hours * 3600)
    return session


def login_page(lang: str, next_url: str, failed: bool = False, name: str = "") -> str:
    e = html.escape
    error = f'<p class="error" role="alert">{e(t("login.failed", lang))}</p>' if failed else ""
    other = "en" if lang == "fr" else "fr"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t("login.title", lang))} - {e(t("service", lang))}</title>
<link rel="stylesheet" href="/assets/app.css"></head>
<body><a class="skip" href="#main">{e(t("skip", lang))}</a>
<header class="site"><div class="marianne">{e(t("republic", lang))}</div>
<div>{e(t("service", lang))}</div>
<a href="/login?lang={other}&amp;next={e(quote(next_url, safe="/"))}" lang="{other}">{e(t("other_lang", lang))}</a></header>
<main id="main"><h1>{e(t("login.title", lang))}</h1><p>{e(t("login.intro", lang))}</p>{error}
<form method="post" action="/login?lang={lang}">
<input type="hidden" name="next" value="{e(next_url)}">
<label for="name">{e(t("login.name", lang))}</label>
<input id="name" name="name" autocomplete="username" required autofocus value="{e(name)}">
<label for="password">{e(t("login.password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="code">{e(t("login.code", lang))}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" aria-describedby="code-help">
<p id="code-help" class="help">{e(t("login.code_help", lang))}</p>
<button type="submit">{e(t("login.submit", lang))}</button></form></main></body></html>"""


async def get_login(request: web.Request) -> web.Response:
    lang = lang_of(request)
    page = login_page(lang, _safe_next(request.query.get("next", "")))
    return web.Response(text=page, content_type="text/html")


async def post_login(request: web.Request) -> web.Response:
    """Sign in, then land on `next` when it is a local page the role may open, else on the
    role's home (operators the console, supervisors the board, the cell /cell/)."""
    require_same_origin(request)
    lang = lang_of(request)
    form = await request.post()
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))
    code = str(form.get("code", ""))[:16]
    next_url = _safe_next(str(form.get("next", "")))
    try:
        principal = await request.app[LOGIN_GUARD].authenticate(request, name, password,
                                                                 how="session", code=code)
    except Unauthorized:
        return web.Response(text=login_page(lang, next_url, failed=True, name=name),
                            content_type="text/html", status=401)
    response = web.HTTPSeeOther(landing(request.app, principal.role, next_url))
    await _open(request, response, principal)
    raise response


async def post_logout(request: web.Request) -> web.Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await request.app[CONTEXT].accounts.close_session(cookie)
    lang = lang_of(request)
    response = web.HTTPSeeOther("/login" + ("?lang=en" if lang == "en" else ""))
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def create_session(request: web.Request) -> web.Response:
    """JSON login for scripts and tests: returns the CSRF token to send on writes."""
    require_same_origin(request)
    body = await read_body(request, LoginBody)
    principal = await request.app[LOGIN_GUARD].authenticate(request, body.name, body.password,
                                                             how="api", code=body.code[:16])
    response = web.Response(content_type="application/json")
    session = await _open(request, response, principal)
    response.body = msgspec.json.encode(
        {"name": session.name, "role": session.role, "csrf": session.csrf})
    return response


async def delete_session(request: web.Request) -> web.Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await request.app[CONTEXT].accounts.close_session(cookie)
    response = json_response({"status": "logged out"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    principal = require(request, Role.OPERATOR)
    session = request[SESSION]
    return json_response({"name": principal.name, "role": principal.role, "via": principal.via,
                          "csrf": session.csrf if session else None})


def setup_session_routes(app: web.Application) -> None:
    app[LOGIN_GUARD] = LoginGuard(app[CONTEXT])
    app.router.add_get("/login", get_login)
    app.router.add_post("/login", post_login)
    app.router.add_post("/logout", post_logout)
    add_api_route(app, ApiRoute("POST", "/api/session", create_session, "Log in (JSON)",
                                body={"type": "object", "required": ["name", "password"]}))
    add_api_route(app, ApiRoute("DELETE", "/api/session", delete_session, "Log out"))
    add_api_route(app, ApiRoute("GET", "/api/me", me, "Who am I", Role.OPERATOR))
