"""What every console page shares: its templates, rendered through the page shell (the one
language choice, the menu by role, the sign-out bar, the CSRF token)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from channels.answer_forms import message_html
from channels.console.messages import MESSAGES, TOPICS, t
from channels.skills import CHANNELS
from channels.skills import TOPICS as SKILL_TOPICS
from crisis.types import LANGS
from crisis.web.shell import CONSOLE, PageTemplates

STATIC = "/console/static/"

# The console's `t` also reads its other tables (`t(key, lang, TOPIC_LABELS)`).
PAGES = PageTemplates(
    "channels.console", CONSOLE, messages=MESSAGES,
    helpers={"t": t, "STATIC": STATIC, "SKILL_LANGS": LANGS,
             "SKILL_TOPICS": SKILL_TOPICS, "SKILL_CHANNELS": CHANNELS, "TOPIC_LABELS": TOPICS,
             "message_html": message_html},
    filters={"ago": lambda moment: max(0, int(time.time() - moment))})


def render(request: web.Request, template: str, **context: Any) -> str:
    return PAGES.render(request, template, **context)


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    return PAGES.page(request, template, status, **context)
