"""The page shell: what every page of the console and the cell shares, whichever package
serves it (the core its crisis pages, the site its publications and builds, the knowledge
base its review, the watch its situation view, the contact centre its console).

- the one language choice (`lang_of`) and the links that keep it (`lang_query`, `back`);
- who may open what: each role's home and landing after sign-in, the role each page needs
  (`add_page_roles`), the role check (`require`, `cell_user`);
- the header: the sign-out bar with the CSRF token, the local clock;
- the menus by role (`CELL`, `CONSOLE`);
- the layout template and each package's own templates beside it (`PageTemplates`);
- the cell pages' static files (`add_page_assets`);
- banners on every cell page from any package (`add_cell_notices`, `CellNotice`).

Packages import this module only, never its submodules (an import-linter contract).
"""

from __future__ import annotations

from crisis.web.shell.access import (
    HOMES, PAGE_ROLES, add_page_roles, cell_user, home_of, landing, local_path, needed_role,
    require,
)
from crisis.web.shell.assets import ASSETS_PATH, add_page_assets, setup_page_assets
from crisis.web.shell.header import account_bar, account_bar_of, clock_of, csrf_of
from crisis.web.shell.language import lang_of, lang_query, other_lang
from crisis.web.shell.layout import Layout, PageTemplates, back, ctx_of
from crisis.web.shell.navigation import CELL, CONSOLE, Area, MenuLink, NavItem, menu
from crisis.web.shell.notices import CellNotice, add_cell_notices, cell_notices_middleware

__all__ = [
    "ASSETS_PATH", "CELL", "CONSOLE", "HOMES", "PAGE_ROLES", "Area", "CellNotice", "Layout",
    "MenuLink", "NavItem", "PageTemplates", "account_bar", "account_bar_of", "add_cell_notices",
    "add_page_assets",
    "add_page_roles", "back", "cell_notices_middleware", "cell_user", "clock_of", "csrf_of", "ctx_of", "home_of",
    "landing", "lang_of", "lang_query", "local_path", "menu", "needed_role", "other_lang",
    "require", "setup_page_assets",
]
