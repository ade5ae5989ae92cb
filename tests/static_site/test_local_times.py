"""The site writes its times in the centre's time zone (CRISIS_TIMEZONE), like every page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from crisis.settings import load_settings
from crisis.types import Role
from crisis.web.app_keys import CONTEXT
from static_site.model import SiteConfig
from static_site.pages import site_pages
from static_site.render import render_page
from tests.conftest import login
from tests.static_site.conftest import CRISIS_ID, demo_data


def _crisis_page(config: SiteConfig, path: str) -> str:
    data = demo_data()  # updated 2026-11-25 08:30 UTC
    [page] = [p for p in site_pages(data, config) if p.path == path]
    return render_page(page, data, config)


def test_the_crisis_page_is_in_paris_time_by_default() -> None:
    french = _crisis_page(SiteConfig(), f"crises/{CRISIS_ID}/index.html")
    assert "25/11/2026 à 09:30" in french and "08:30" not in french
    english = _crisis_page(SiteConfig(), f"en/crises/{CRISIS_ID}/index.html")
    assert "25 Nov 2026, 09:30 (Paris time)" in english


def test_another_time_zone_is_followed() -> None:
    config = SiteConfig(timezone="America/Cayenne")  # UTC-3
    assert "25/11/2026 à 05:30" in _crisis_page(config, f"crises/{CRISIS_ID}/index.html")
    assert "25 Nov 2026, 05:30 (Cayenne time)" in _crisis_page(
        config, f"en/crises/{CRISIS_ID}/index.html")


async def test_the_cell_follows_the_setting_too(aiohttp_client: Any, env: dict[str, str],
                                                redis_url: str) -> None:
    from crisis.app import build_app
    settings = load_settings({**env, "CRISIS_TIMEZONE": "America/Cayenne"})
    client = await aiohttp_client(build_app(settings, redis_url))
    ctx = client.app[CONTEXT]
    await login(client, ctx, "chef", Role.CELL)
    page = await (await client.get("/cell/situation")).text()
    match = re.search(r'<time datetime="([^"]+)" id="situation-updated">([0-9:]+)</time>', page)
    assert match is not None
    at = dt.datetime.fromisoformat(match.group(1))
    assert match.group(2) == at.astimezone(ZoneInfo("America/Cayenne")).strftime("%H:%M:%S")
    assert match.group(2) != at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M:%S")
