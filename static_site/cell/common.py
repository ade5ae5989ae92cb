"""What the site's cell pages (publications, builds) share: their templates, rendered through
the page shell's layout, with the site's words."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crisis.web.shell import CELL, PageTemplates
from static_site.cell.messages import MESSAGES, build_kind, build_trigger

PAGES = PageTemplates("static_site", CELL, messages=MESSAGES,
                      helpers={"build_kind": build_kind, "build_trigger": build_trigger})


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """The cell page `templates/cell/<template>` of the site."""
    return PAGES.page(request, f"cell/{template}", status, **context)
