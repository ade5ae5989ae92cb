"""The cell pages' static files at /cell/static/<name>, each kept in the package whose
pages use it (the shell's layout and charts stylesheets, the knowledge base's and the
situation's scripts...): the packages declare their folder at setup, the shell serves them all.

One flat namespace of names, checked when the app is built: two packages shipping the same
file name is a start-up error, not a page that silently gets the other's file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

from crisis.errors import ConfigError

ASSETS_PATH = "/cell/static/"
PAGE_ASSETS: web.AppKey[dict[str, Path]] = web.AppKey("page_assets", dict)


def add_page_assets(app: web.Application, package: str, folder: str = "static") -> None:
    """Serve every file of `package`'s `folder` at /cell/static/<file name>."""
    if PAGE_ASSETS not in app:
        app[PAGE_ASSETS] = {}
    assets = app[PAGE_ASSETS]
    for path in sorted(Path(str(resources.files(package) / folder)).iterdir()):
        if not path.is_file():
            continue
        if path.name in assets and assets[path.name] != path:
            raise ConfigError(f"two packages serve {ASSETS_PATH}{path.name}: "
                              f"{assets[path.name]} and {path}")
        assets[path.name] = path


async def page_asset(request: web.Request) -> web.StreamResponse:
    """GET /cell/static/{name}: a declared file (conditional requests and ranges as aiohttp's
    static files); for any other name an empty 404, as the other static routes answer (a
    name is one path segment: no way out of the declared files)."""
    path = request.app.get(PAGE_ASSETS, {}).get(request.match_info["name"])
    if path is None:
        return web.Response(status=404)
    return web.FileResponse(path)


def setup_page_assets(app: web.Application) -> None:
    """The route, and the shell's own files (the layout's stylesheet, and charts.css: the
    stylesheet of every package's pygal charts, crisis/web/charts.py)."""
    add_page_assets(app, "crisis.web.shell")
    app.router.add_get(ASSETS_PATH + "{name}", page_asset)
