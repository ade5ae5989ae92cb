"""Serves the published site from aiohttp (the embedded default), as nginx would.

Same rules as deploy/nginx: precompressed `.br`/`.gz` twins chosen by Accept-Encoding,
`Vary: Accept-Encoding`, ETag per representation, short cache plus stale-while-revalidate
and stale-if-error on pages, a year (immutable) on hashed assets, the same security headers,
and never a file outside the site (its builds and shards) nor a hidden file.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

HTML_CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
ASSET_CACHE = "public, max-age=31536000, immutable"
# Inline styles only: the critical CSS is inlined; scripts are files of the site's own
# (the alerts block's, the service worker), never inline.
SITE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": SITE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".xml": "application/xml; charset=utf-8", ".json": "application/json",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
         ".ico": "image/x-icon", ".js": "text/javascript; charset=utf-8"}  # what nginx's mime.types says, not Python's vnd.microsoft


def _resolve(site_dir: Path, path: str) -> Path | None:
    """The file for a URL path, or None; '..', hidden files and links out of the site refused."""
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") or "\\" in p for p in parts):
        return None
    allowed = {site_dir.with_name(site_dir.name + suffix).resolve()
               for suffix in (".builds", ".shards")}
    candidate = site_dir.joinpath(*parts).resolve()
    if not any(root in candidate.parents for root in allowed):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def pick_encoding(file: Path, accept: str) -> tuple[Path, str | None]:
    """The .br or .gz twin when the client accepts it (q=0 means refused), else the file."""
    accepted = set()
    for part in accept.lower().split(","):
        name, _, params = part.partition(";")
        if params.strip().replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(name.strip())
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        twin = file.with_name(file.name + suffix)
        if encoding in accepted and twin.is_file():
            return twin, encoding
    return file, None


def site_headers(file: Path, encoding: str | None) -> dict[str, str]:
    headers = {
        **SECURITY_HEADERS,
        "Vary": "Accept-Encoding",
        "Content-Type": TYPES.get(file.suffix)
        or mimetypes.guess_type(file.name)[0] or "application/octet-stream",
        "Cache-Control": ASSET_CACHE if file.parent.name == "site-assets" else HTML_CACHE,
    }
    if encoding:
        headers["Content-Encoding"] = encoding
    return headers


def serve_site(site_dir: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def site_file(request: web.Request) -> web.StreamResponse:
        file = _resolve(site_dir, request.match_info["path"])
        status = 200
        if file is None:
            status = 404
            file = _resolve(site_dir, "404.html")
            if file is None:
                raise web.HTTPNotFound(text="Page introuvable / Page not found")
        body_file, encoding = pick_encoding(file, request.headers.get("Accept-Encoding", ""))
        stat = body_file.stat()
        etag = f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
        headers = {**site_headers(file, encoding), "ETag": etag}
        if status == 404:
            headers["Cache-Control"] = "no-cache"
        if status == 200 and etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body_file.read_bytes(), status=status, headers=headers)

    return site_file
