"""Typed keys of the values every web process stores on its aiohttp application."""

from __future__ import annotations

from aiohttp import web

from crisis.context import Context

CONTEXT: web.AppKey[Context] = web.AppKey("context", Context)
