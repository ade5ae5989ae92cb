"""The HTML error pages (401 on a write, 403, 404, 500...) in the reader's language.

Each says what happened and where to go next: the role's home, signing in, the public site.
Plain f-strings with every value escaped, not the page shell's templates: an error page must
not be able to fail in its turn. A 500 never shows the exception.
"""

from __future__ import annotations

import html

from aiohttp import web

from crisis.errors import CrisisError, CsrfMismatch
from crisis.i18n import t
from crisis.state_labels import state_label
from crisis.web.app_keys import PRINCIPAL
from crisis.web.shell import account_bar_of, home_of, lang_of

KNOWN = (401, 403, 404, 500)


def _texts(request: web.Request, status: int, error: CrisisError | None, lang: str
           ) -> tuple[str, str]:
    """(title, explanation) of the page."""
    if isinstance(error, CsrfMismatch):
        return t("error.csrf.title", lang), t("error.csrf.text", lang)
    key = str(status) if status in KNOWN else ("500" if status >= 500 else "other")
    text = t(f"error.{key}.text", lang)
    principal = request.get(PRINCIPAL)
    if status == 403 and principal is not None:
        text = t("error.403.role", lang).format(
            name=principal.name, role=state_label(principal.role, lang))
    return t(f"error.{key}.title", lang), text


def _next_links(request: web.Request, status: int, lang: str) -> list[tuple[str, str]]:
    """(href, label) of the places to go from here, the most useful first."""
    principal = request.get(PRINCIPAL)
    links = []
    if principal is not None:
        home = home_of(principal.role)
        links.append((home, t(f"home.{home}", lang)))
        if status == 403:
            links.append((f"/login?lang={lang}", t("error.sign_in_other", lang)))
    else:
        links.append((f"/login?lang={lang}", t("error.sign_in", lang)))
    links.append(("/", t("error.site", lang)))
    return links


def error_page(request: web.Request, status: int, error: CrisisError | None = None) -> str:
    """The whole page. `error`'s message is shown as a detail for the 4xx statuses of a bad
    request (it says what to correct; it is in English), not when the page says it all (401,
    403, 404), never for 5xx ones (it could say something about the internals)."""
    lang = lang_of(request)
    e = html.escape
    title, text = _texts(request, status, error, lang)
    detail = ""
    if error is not None and 400 <= status < 500 and status not in (401, 403, 404):
        detail = f'<p class="detail">{e(t("error.detail", lang))} : {e(error.message)}</p>'
    links = "".join(f'<li><a href="{e(href)}">{e(label)}</a></li>'
                    for href, label in _next_links(request, status, lang))
    other = "en" if lang == "fr" else "fr"
    switch = (f'<a href="{e(request.path)}?lang={other}" lang="{other}" hreflang="{other}">'
              f'{e(t("other_lang", lang))}</a>') if request.method == "GET" else ""
    code = t("error.code", lang).format(status=status)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} ({e(code)}) - {e(t("service", lang))}</title>
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="error-page"><a class="skip" href="#main">{e(t("skip", lang))}</a>
<header class="site"><div class="marianne">{e(t("republic", lang))}</div>
<div>{e(t("service", lang))}</div>{switch}{account_bar_of(request, lang)}</header>
<main id="main"><p class="status-code">{e(code)}</p><h1>{e(title)}</h1>
<p class="lead">{e(text)}</p>{detail}
<h2>{e(t("error.next", lang))}</h2><ul class="next">{links}</ul></main></body></html>"""


def error_response(request: web.Request, status: int, error: CrisisError | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=error_page(request, status, error), status=status,
                        content_type="text/html", headers=headers)
