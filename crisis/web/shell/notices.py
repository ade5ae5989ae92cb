"""Banners on every cell page: a package registers a source of notices (the watch: a rumour
rising) and the layout shows them above the page's content, whichever package serves it.

A source is awaited by `cell_notices_middleware` before a cell page's handler runs (the page
templates render synchronously); a source that fails is logged and skipped, never the page.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from crisis.types import Role
from crisis.web.app_keys import PRINCIPAL
from crisis.web.shell.language import lang_of

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class CellNotice:
    """One banner: what happens, and where the cell acts on it."""

    text: str
    href: str
    link: str


NoticeSource = Callable[[web.Request, str], Awaitable[list[CellNotice]]]
CELL_NOTICES: Final = web.AppKey("cell_notices", list[NoticeSource])
# The request's notices, read by the layout.
NOTICES: Final = web.RequestKey("cell_notices", tuple)
MAX_SHOWN: Final = 3


def add_cell_notices(app: web.Application, source: NoticeSource) -> None:
    """Show `source`'s notices on the cell's pages (to the cell role and above)."""
    app.setdefault(CELL_NOTICES, []).append(source)


@web.middleware
async def cell_notices_middleware(request: web.Request,
                                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                                  ) -> web.StreamResponse:
    principal = request.get(PRINCIPAL)
    if (request.method == "GET" and request.path.startswith("/cell/")
            and not request.path.startswith("/cell/static/")
            and "fragment" not in request.query  # a page's region swapped in: no layout
            and principal is not None and principal.role.at_least(Role.CELL)):
        notices: list[CellNotice] = []
        lang = lang_of(request)
        for source in request.app.get(CELL_NOTICES, []):
            try:
                notices.extend(await source(request, lang))
            except Exception:  # a banner never takes a page down with it
                log.exception("a cell notice source failed")
        request[NOTICES] = tuple(notices[:MAX_SHOWN])
    return await handler(request)
