"""Typed keys of the values every web process stores on its application and its requests."""

from __future__ import annotations

from aiohttp import web

from crisis.accounts import Session
from crisis.context import Context
from crisis.types import Principal

CONTEXT: web.AppKey[Context] = web.AppKey("context", Context)
# Who is calling (set by the auth middleware on every request): None for a visitor.
PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", object)  # type: ignore[arg-type]
SESSION: web.RequestKey[Session | None] = web.RequestKey("session", object)  # type: ignore[arg-type]
