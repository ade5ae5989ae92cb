"""Mounting the cell's broadcasts page in an app under test, until channels/__init__.py calls
`setup_broadcast_pages` itself (it will, right after `setup_broadcast_api`: same arguments).

The shim wraps `channels.setup_broadcast_api` so the page is set up at the very moment the
channels package sets up its broadcast API: before the site's `/cell/{tail}` catch-all, as
the real call will be. Once channels/__init__.py imports `setup_broadcast_pages`, the shim
does nothing (and may be deleted with its fixtures)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import channels
from channels.alerts.broadcasts import Broadcasts
from channels.alerts.cell_pages import setup_broadcast_pages
from channels.alerts.subscriptions import Subscriptions
from crisis.context import Context


def mount_broadcast_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(channels, "setup_broadcast_pages"):
        return  # channels/__init__.py mounts the page itself
    original: Any = getattr(channels, "setup_broadcast_api")

    def api_and_pages(app: web.Application, ctx: Context, broadcasts: Broadcasts,
                      subscriptions: Subscriptions) -> None:
        original(app, ctx, broadcasts, subscriptions)
        setup_broadcast_pages(app, ctx, broadcasts, subscriptions)

    monkeypatch.setattr(channels, "setup_broadcast_api", api_and_pages)
