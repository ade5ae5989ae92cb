"""What every console page shares: the Jinja2 environment, the language, the CSRF token."""

from __future__ import annotations

import functools
import time
from typing import Any

import jinja2
from aiohttp import web

from channels.console.messages import CONVERSATION_STATES, TOPICS, t
from channels.skills import CHANNELS
from channels.skills import TOPICS as SKILL_TOPICS
from crisis.i18n import pick_lang
from crisis.types import LANGS, Role
from crisis.web.middleware import PRINCIPAL, SESSION

STATIC = "/console/static/"


@functools.cache
def environment() -> jinja2.Environment:
    # Autoescape everywhere: citizen text is untrusted and only ever rendered as text.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("channels.console", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.globals.update(t=t, STATES=CONVERSATION_STATES, STATIC=STATIC, Role=Role,
                       SKILL_LANGS=LANGS, SKILL_TOPICS=SKILL_TOPICS, SKILL_CHANNELS=CHANNELS,
                       TOPIC_LABELS=TOPICS)
    env.filters["ago"] = lambda moment: max(0, int(time.time() - moment))
    return env


def lang_of(request: web.Request) -> str:
    return pick_lang(request.query.get("lang"), request.headers.get("Accept-Language", "fr"))


def render(request: web.Request, template: str, **context: Any) -> str:
    session = request[SESSION]
    lang = lang_of(request)
    return environment().get_template(template).render(
        lang=lang, other="en" if lang == "fr" else "fr", q="?lang=en" if lang == "en" else "",
        csrf=session.csrf if session else "", path=request.path, principal=request[PRINCIPAL],
        **context)


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    return web.Response(text=render(request, template, **context), status=status,
                        content_type="text/html")


def back(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Redirect after a write (post/redirect/get), keeping the language."""
    return web.HTTPSeeOther(path + ("?lang=en" if lang_of(request) == "en" else ""))
