"""What every cell page shares: the Jinja2 environment, the language, the CSRF field."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from crisis.state_labels import state_label
from crisis.types import Principal, Role
from crisis.web.app_keys import CONTEXT, PRINCIPAL, SESSION
from crisis.web.middleware import require
from crisis.web.page_shell import account_bar_of, clock_of, lang_query, request_lang
from static_site.cell.messages import build_kind, build_trigger, t, tn

CELL_CSS = "/cell/static/cell.css"


@functools.cache
def cell_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("static_site", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.globals.update(t=t, tn=tn, state=state_label, build_kind=build_kind,
                       build_trigger=build_trigger)
    return env


def cell_user(request: web.Request) -> Principal:
    """The cell member making the request (GET without a session redirects to /login)."""
    return require(request, Role.CELL)


def lang_of(request: web.Request) -> str:
    """The browser's language (Accept-Language) unless ?lang= chose one; French first."""
    return request_lang(request)


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A cell page rendered with the common layout values."""
    session = request[SESSION]
    principal = request[PRINCIPAL]
    lang = lang_of(request)
    context.setdefault("error", "")
    html = cell_environment().get_template(f"cell/{template}").render(
        lang=lang, other="en" if lang == "fr" else "fr", csrf=session.csrf if session else "",
        path=request.path, css=CELL_CSS, q=lang_query(request),
        account=Markup(account_bar_of(request, lang)), clock=clock_of(request, lang),
        cell_member=principal is not None and principal.role.at_least(Role.CELL), **context)
    return web.Response(text=html, status=status, content_type="text/html")


def back(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Redirect after a write (post/redirect/get), keeping the language."""
    return web.HTTPSeeOther(path + lang_query(request))


def ctx_of(request: web.Request) -> Any:
    return request.app[CONTEXT]
