"""Pages rendered through the shell: each package's own templates beside the shell's layout,
filled with the values every page shares (language, menu, account bar, CSRF token, clock).

The one module of the core that imports the template engine (an import-linter contract
allows it here and nowhere else in `crisis` and `knowledge_base`): the packages hand it
their templates' folder and message table and never touch Jinja2 themselves. Autoescape is
on everywhere: citizens' text is untrusted and only ever rendered as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from crisis.context import Context
from crisis.i18n import MESSAGES, Table, t, translate, translate_count
from crisis.state_labels import state_label
from crisis.web.app_keys import CONTEXT, PRINCIPAL
from crisis.web.shell.header import account_bar_of, clock_of, csrf_of
from crisis.web.shell.language import lang_of, lang_query, other_lang
from crisis.web.shell.navigation import Area, MenuLink, menu
from crisis.web.shell.notices import NOTICES, CellNotice

# The shell's own templates ("shell/cell.html", the cell pages' layout), behind each package's.
_SHELL_TEMPLATES = jinja2.PackageLoader("crisis.web.shell", "templates")


@dataclass(frozen=True)
class Layout:
    """What the layout template reads, as `shell`: the area's name, the role's menu, and the
    core's texts (skip link, language switch...) in the page's language."""

    lang: str
    title: str
    menu: tuple[MenuLink, ...]
    notices: tuple[CellNotice, ...] = ()  # banners above the content (shell/notices.py)

    @property
    def home(self) -> str:
        """Where the area's name leads: the first page of the role's menu."""
        return self.menu[0].href if self.menu else "/"

    def text(self, key: str) -> str:
        return t(key, self.lang)


def layout_of(request: web.Request, area: Area, lang: str) -> Layout:
    principal = request.get(PRINCIPAL)
    links = menu(request.app, area, principal.role if principal else None, request.path, lang,
                 lang_query(request))
    return Layout(lang, t(area.title, lang), links, tuple(request.get(NOTICES, ())))


class PageTemplates:
    """One package's page templates (`<package>/templates/`), rendered for a request.

    `messages` is the package's own table: the templates' `t(key, lang)` and `tn(key, n,
    lang)` look there first, then in the core's (crisis.i18n); `helpers` and `filters` add or
    replace template globals and filters. Every
    page also gets `lang`, `other` (the other language), `q` (the links' language query),
    `csrf`, `path`, `principal`, `account` (the sign-out bar), `clock` (local times),
    `state` (state labels), `error` ("" unless given) and `shell` (a `Layout`)."""

    def __init__(self, package: str, area: Area, *, messages: Table | None = None,
                 helpers: Mapping[str, Any] | None = None,
                 filters: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.area = area
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.PackageLoader(package, "templates"),
                                        _SHELL_TEMPLATES]),
            autoescape=True, trim_blocks=True, lstrip_blocks=True,
            undefined=jinja2.StrictUndefined)
        own = messages or {}

        def table_of(key: str) -> Table:
            # The package's words first, then the core's (crisis level, areas, reason...).
            return own if key in own or f"{key}.one" in own else MESSAGES

        self._env.globals["t"] = lambda key, lang: translate(table_of(key), key, lang)
        self._env.globals["tn"] = lambda key, n, lang: translate_count(table_of(key), key, n, lang)
        self._env.globals["state"] = state_label
        self._env.globals.update(helpers or {})
        self._env.filters.update(filters or {})

    def render(self, request: web.Request, template: str, **context: Any) -> str:
        """The template filled with the shared values, then `context` (which wins)."""
        lang = lang_of(request)
        values: dict[str, Any] = {
            "lang": lang, "other": other_lang(lang), "q": lang_query(request),
            "csrf": csrf_of(request), "path": request.path, "principal": request.get(PRINCIPAL),
            "account": Markup(account_bar_of(request, lang)), "clock": clock_of(request, lang),
            "shell": layout_of(request, self.area, lang), "error": ""}
        values.update(context)
        return self._env.get_template(template).render(values)

    def page(self, request: web.Request, template: str, status: int = 200,
             **context: Any) -> web.Response:
        """The rendered template as an HTML response."""
        return web.Response(text=self.render(request, template, **context), status=status,
                            content_type="text/html")


def back(request: web.Request, path: str) -> web.HTTPSeeOther:
    """Redirect after a write (post/redirect/get), keeping the language chosen with ?lang=."""
    return web.HTTPSeeOther(path + lang_query(request))


def ctx_of(request: web.Request) -> Context:
    """The process's context (Redis, settings, stores) for a page handler."""
    return request.app[CONTEXT]
