"""The page shell (crisis.web.shell): one language choice, one layout and one menu by role
for the pages every package serves, and their static files at /cell/static/."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from crisis.context import Context
from crisis.errors import ConfigError
from crisis.types import Role
from crisis.web.shell import add_page_assets, lang_of
from tests.conftest import login

# Every cell page, whichever package serves it: the core, the site, the knowledge base, the watch.
CELL_PAGES = ("/cell/", "/cell/activate", "/cell/publications", "/cell/kb", "/cell/builds",
              "/cell/situation", "/cell/broadcasts", "/cell/rumours", "/cell/pulses")


def _menu(html: str) -> list[tuple[str, str]]:
    """(href, label) of the page's menu (the cell's <nav class="menu"> or the console's)."""
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S)
    assert nav is not None, html[:500]
    return re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav.group(1))


@pytest.mark.parametrize(("query", "accept", "expected"), [
    ("", "", "fr"),                                  # French by default
    ("", "en-GB,en;q=0.9,fr;q=0.5", "en"),           # then the browser's language
    ("", "de-DE,de;q=0.9", "fr"),                    # a language we do not have: French
    ("", "de-DE,de;q=0.9,en;q=0.5", "en"),           # the first one we have
    ("?lang=fr", "en", "fr"),                        # an explicit choice wins
    ("?lang=en", "fr", "en"),
    ("?lang=xx", "en", "en"),                        # a bad choice is ignored
])
def test_one_language_choice(query: str, accept: str, expected: str) -> None:
    request = make_mocked_request("GET", "/cell/" + query, headers={"Accept-Language": accept})
    assert lang_of(request) == expected


async def test_every_cell_page_has_the_same_header_and_menu(client: Any, ctx: Context) -> None:
    await login(client, ctx, "chef", Role.CELL)
    menus = {}
    for path in CELL_PAGES:
        response = await client.get(path)
        html = await response.text()
        assert response.status == 200, path
        assert '<link rel="stylesheet" href="/cell/static/cell.css">' in html, path
        assert '<p class="name"><a href="/cell/">Cellule de crise</a></p>' in html, path
        menus[path] = [(href, label) for href, label in _menu(html)]
        current = re.findall(r'<a href="([^"]*)" aria-current="page">', html)
        assert current == [path], (path, current)
    assert len({tuple(m) for m in menus.values()}) == 1, menus
    assert menus["/cell/"] == [
        ("/cell/", "Crises"), ("/cell/situation", "Situation"), ("/cell/rumours", "Rumeurs"),
        ("/cell/activate", "Activer un scénario"), ("/cell/publications", "Publications"),
        ("/cell/broadcasts", "Diffusions d&#39;alertes"), ("/cell/pulses", "Sondages éclair"),
        ("/cell/kb", "Base de connaissances"),
        ("/cell/builds", "Publications du site"),
        ("/", "Voir le site")]
    # A choice of language travels in the menu's links, except to the public site.
    english = await (await client.get("/cell/kb?lang=en")).text()
    assert ("/cell/situation?lang=en", "Situation") in _menu(english)
    assert ("/", "View the site") in _menu(english)


@pytest.mark.parametrize(("role", "page", "expected"), [
    (Role.OPERATOR, "/console/", ["/console/"]),
    (Role.SUPERVISOR, "/console/", ["/console/", "/console/supervisor", "/cell/situation"]),
    (Role.SUPERVISOR, "/cell/situation", ["/cell/situation", "/cell/pulses",
                                          "/console/supervisor", "/"]),
    (Role.CELL, "/cell/situation", ["/cell/", "/cell/situation", "/cell/rumours", "/cell/activate",
                                    "/cell/publications", "/cell/broadcasts", "/cell/pulses",
                                    "/cell/kb",
                                    "/cell/builds", "/"]),
    (Role.ADMIN, "/console/", ["/console/", "/console/supervisor", "/cell/situation"]),
])
async def test_each_role_is_offered_what_it_may_open_and_nothing_else(
        client: Any, ctx: Context, role: Role, page: str, expected: list[str]) -> None:
    await login(client, ctx, f"someone-{role.value}", role)
    response = await client.get(page)
    assert response.status == 200
    # (The console's language switch sits in its <nav> too.)
    links = [href for href, _ in _menu(await response.text()) if "?lang=" not in href]
    assert links == expected
    for href in links:  # every page the menu offers opens for this role
        opened = await client.get(href, allow_redirects=False)
        assert opened.status in (200, 404), (href, opened.status)  # "/": no site built yet


async def test_the_cell_pages_files_are_served_from_their_packages(client: Any) -> None:
    for name, kind in (("cell.css", "text/css"), ("cell_kb.css", "text/css"),
                       ("cell_kb.js", "javascript"), ("cell_situation.css", "text/css"),
                       ("cell_situation.js", "javascript")):
        response = await client.get(f"/cell/static/{name}")
        assert response.status == 200, name
        assert kind in response.headers["Content-Type"], (name, response.headers["Content-Type"])
        assert len(await response.read()) > 100
    # Only the declared folders: not a module beside them, nor a way up.
    for name in ("nothing.css", "__init__.py", "..%2F__init__.py", "cell.css%00"):
        assert (await client.get(f"/cell/static/{name}")).status == 404, name


def test_two_packages_may_not_ship_the_same_file_name(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for package in ("shell_pkg_one", "shell_pkg_two"):
        (tmp_path / package / "static").mkdir(parents=True)
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "static" / "page.css").write_text("p{}")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = web.Application()
    add_page_assets(app, "shell_pkg_one")
    add_page_assets(app, "shell_pkg_one")  # the same package twice is harmless
    with pytest.raises(ConfigError, match="page.css"):
        add_page_assets(app, "shell_pkg_two")
    for package in ("shell_pkg_one", "shell_pkg_two"):
        sys.modules.pop(package, None)
