"""The one language choice of every page (console, cell, login, error pages)."""

from __future__ import annotations

from aiohttp import web

from crisis.i18n import pick_lang


def lang_of(request: web.Request) -> str:
    """The page's language: ?lang= wins, then the browser's Accept-Language, then French.

    No cookie: a choice made with ?lang= travels in the links of the page (`lang_query`),
    so a shared or bookmarked address shows the same language to everyone who opens it."""
    return pick_lang(request.query.get("lang"), request.headers.get("Accept-Language", ""))


def other_lang(lang: str) -> str:
    """The language the page's switch offers."""
    return "en" if lang == "fr" else "fr"


def lang_query(request: web.Request) -> str:
    """"?lang=xx" for the links of a page asked in a chosen language, "" when the browser's
    language chose it (then the next page follows the browser too)."""
    chosen = request.query.get("lang")
    return f"?lang={lang_of(request)}" if chosen else ""
