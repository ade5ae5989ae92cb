"""The menus of the signed-in pages, by role: one table per area (the cell's pages, the
operator console), filtered by the role each page needs.

What a role sees follows from what it may open (the page roles the packages declare at
setup, `access.add_page_roles`), so a menu never offers a page that would answer 403:
- an operator: the console (their conversations);
- a supervisor: the console with supervision and the live situation; on the cell's pages,
  the situation only, with a way back to supervision;
- a cell member or an administrator: every cell page (crises, situation, activation,
  rumours, publications, alert broadcasts, knowledge base, site builds).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from crisis.i18n import t
from crisis.types import Role
from crisis.web.shell.access import needed_role


@dataclass(frozen=True)
class NavItem:
    """One entry of a menu: a page, the message key of its label."""

    path: str
    label: str
    # Also marked current on the pages below it (a publication's page under Publications).
    section: bool = False
    # Hidden from this role and the ones above, which reach the page another way.
    hidden_from: Role | None = None
    # Links keep the language chosen with ?lang=; the public site has its own per-language paths.
    keeps_lang: bool = True


@dataclass(frozen=True)
class Area:
    """A group of pages sharing one header: its name (a message key) and its menu."""

    title: str
    menu: tuple[NavItem, ...]


@dataclass(frozen=True)
class MenuLink:
    href: str
    label: str
    current: bool


CELL = Area("cell.title", (
    NavItem("/cell/", "nav.crises"),
    NavItem("/cell/situation", "nav.situation"),
    NavItem("/cell/rumours", "nav.rumours", section=True),
    NavItem("/cell/activate", "nav.activate"),
    NavItem("/cell/publications", "nav.publications", section=True),
    NavItem("/cell/broadcasts", "nav.broadcasts"),
    NavItem("/cell/pulses", "nav.pulses"),
    NavItem("/cell/kb", "nav.kb", section=True),
    NavItem("/cell/builds", "nav.builds"),
    # A supervisor opens the situation from the console: the way back. The cell has its menu.
    NavItem("/console/supervisor", "nav.supervision", hidden_from=Role.CELL),
    NavItem("/", "nav.site", keeps_lang=False),
))
CONSOLE = Area("console.title", (
    NavItem("/console/", "nav.mine"),
    NavItem("/console/supervisor", "nav.supervision"),
    NavItem("/cell/situation", "nav.live_situation"),
))


def visible(app: web.Application, item: NavItem, role: Role | None) -> bool:
    """Whether a caller of `role` (None: a visitor) sees `item`: it may open the page, and
    the entry is not meant for smaller roles only."""
    needed = needed_role(app, item.path)
    if needed is not None and (role is None or not role.at_least(needed)):
        return False
    return item.hidden_from is None or role is None or not role.at_least(item.hidden_from)


def menu(app: web.Application, area: Area, role: Role | None, path: str, lang: str,
         q: str) -> tuple[MenuLink, ...]:
    """The links of `area`'s menu that `role` sees on the page at `path`, labelled in `lang`,
    each keeping the page's language query `q` (see language.lang_query)."""
    return tuple(
        MenuLink(item.path + (q if item.keeps_lang else ""), t(item.label, lang),
                 path == item.path or (item.section and path.startswith(item.path)))
        for item in area.menu if visible(app, item, role))
