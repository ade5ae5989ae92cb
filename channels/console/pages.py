"""What every console page shares: the Jinja2 environment, the language, the CSRF token."""

from __future__ import annotations

import functools
import time
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from channels.answer_forms import message_html
from channels.console.messages import TOPICS, t
from channels.skills import CHANNELS
from channels.skills import TOPICS as SKILL_TOPICS
from crisis.state_labels import state_label
from crisis.types import LANGS, Role
from crisis.web.app_keys import PRINCIPAL, SESSION
from crisis.web.shell import account_bar_of, clock_of, lang_of, lang_query

STATIC = "/console/static/"


@functools.cache
def environment() -> jinja2.Environment:
    # Autoescape everywhere: citizen text is untrusted and only ever rendered as text.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("channels.console", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.globals.update(t=t, state=state_label, STATIC=STATIC, Role=Role,
                       SKILL_LANGS=LANGS, SKILL_TOPICS=SKILL_TOPICS, SKILL_CHANNELS=CHANNELS,
                       TOPIC_LABELS=TOPICS, message_html=message_html)
    env.filters["ago"] = lambda moment: max(0, int(time.time() - moment))
    return env


def render(request: web.Request, template: str, **context: Any) -> str:
    session = request[SESSION]
    lang = lang_of(request)
    return environment().get_template(template).render(
        lang=lang, other="en" if lang == "fr" else "fr", q=lang_query(request),
        csrf=session.csrf if session else "", path=request.path, principal=request[PRINCIPAL],
        account=Markup(account_bar_of(request, lang)), clock=clock_of(request, lang),
        **context)


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    return web.Response(text=render(request, template, **context), status=status,
                        content_type="text/html")


def back(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Redirect after a write (post/redirect/get), keeping the language."""
    return web.HTTPSeeOther(path + lang_query(request))
