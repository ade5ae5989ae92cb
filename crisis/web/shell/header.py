"""What the header of every signed-in page shows and sends: who is signed in, the sign-out
form with the session's CSRF token, and the local clock of the page's times."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from aiohttp import web

from crisis.i18n import t
from crisis.local_time import Style, local_time
from crisis.types import Principal
from crisis.web.app_keys import CONTEXT, PRINCIPAL, SESSION


def csrf_of(request: web.Request) -> str:
    """The session's CSRF token, for every form of the page ("" without a session)."""
    session = request.get(SESSION)
    return session.csrf if session else ""


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
    return account_bar(request.get(PRINCIPAL), csrf_of(request), lang)


def clock_of(request: web.Request, lang: str) -> Callable[..., str]:
    """The page's time formatter: `clock(value, "time")` in CRISIS_TIMEZONE and `lang`."""
    zone = request.app[CONTEXT].settings.zone

    def clock(value: dt.datetime, style: Style = "datetime") -> str:
        return local_time(value, zone, lang, style)

    return clock
