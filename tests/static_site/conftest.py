"""Fixtures of the site's tests: a demo-like data snapshot and a built site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from static_site.builder import BuildReport, build_site_files
from static_site.model import SiteConfig
from static_site.serving import serve_site
from testbed.site_data import (
    CRISIS_ID, NOW, demo_data, make_crisis, make_publication, scenario_publications,
    starter_articles,
)

# Re-exported for the site's tests, which import them from here with the fixtures.
__all__ = ["CRISIS_ID", "NOW", "demo_data", "make_crisis", "make_publication",
           "scenario_publications", "starter_articles"]

@pytest.fixture
def config() -> SiteConfig:
    return SiteConfig(base_url="https://info-crise.example.gouv.fr")


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    return tmp_path / "www" / "site"


@pytest.fixture
def built(config: SiteConfig, site_dir: Path) -> BuildReport:
    return build_site_files(demo_data(), config, site_dir)


async def serve_built_site(aiohttp_server: Any, site_dir: Path) -> str:
    """The built site over real HTTP on loopback, served as `crisis up` serves it; its base URL."""
    app = web.Application()
    app.router.add_get("/{path:.*}", serve_site(site_dir))
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")
