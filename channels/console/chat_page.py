"""A plain citizen page with the web-chat widget (`/chat/`), for sites that link to it."""

from __future__ import annotations

from aiohttp import web

from channels.console.pages import page


async def chat_page(request: web.Request) -> web.Response:
    return page(request, "chat.html")
