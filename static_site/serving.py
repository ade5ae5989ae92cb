"""Serves the published site from aiohttp (the embedded default), as nginx would.

Same rules as deploy/nginx: precompressed `.br`/`.gz` twins chosen by Accept-Encoding,
`Vary: Accept-Encoding`, ETag per representation, short cache on HTML, a year on hashed
assets, and never a file outside the site directory.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

HTML_CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
ASSET_CACHE = "public, max-age=31536000, immutable"
SITE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")


def _resolve(root: Path, path: str) -> Path | None:
    """The file for a URL path, or None; '..' and symlinks out of the site are refused."""
    base = root.resolve()
    candidate = (base / path.lstrip("/")).resolve()
    if candidate != base and base not in candidate.parents:
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def _pick_encoding(file: Path, accept: str) -> tuple[Path, str | None]:
    accepted = {part.split(";")[0].strip() for part in accept.lower().split(",")}
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        twin = file.with_name(file.name + suffix)
        if encoding in accepted and twin.is_file():
            return twin, encoding
    return file, None


def serve_site(site_dir: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def site_file(request: web.Request) -> web.StreamResponse:
        file = _resolve(site_dir, request.match_info["path"])
        status = 200
        if file is None:
            file = _resolve(site_dir, "404.html")
            status = 404
            if file is None:
                raise web.HTTPNotFound(text="Page introuvable / Page not found")
        body_file, encoding = _pick_encoding(file, request.headers.get("Accept-Encoding", ""))
        stat = body_file.stat()
        etag = f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
        headers = {
            "Vary": "Accept-Encoding",
            "Content-Type": mimetypes.guess_type(file.name)[0] or "application/octet-stream",
            "Cache-Control": ASSET_CACHE if "/assets/" in str(file) else HTML_CACHE,
            "Content-Security-Policy": SITE_CSP,
        }
        if file.suffix == ".html":
            headers["Content-Type"] = "text/html; charset=utf-8"
        if encoding:
            headers["Content-Encoding"] = encoding
        if status == 200 and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={**headers, "ETag": etag})
        return web.Response(body=body_file.read_bytes(), status=status,
                            headers={**headers, "ETag": etag})

    return site_file
