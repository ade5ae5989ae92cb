"""The client's address as the limits see it: the peer, or what a trusted proxy says.

Behind nginx or a load balancer every request comes from the proxy; only a proxy named in
CRISIS_TRUSTED_PROXIES (an address or a range: crisis/settings.py TrustedProxies) is believed
about the client (`X-Forwarded-For`, read from the right: the first address that is not itself
a trusted proxy). Anyone else's header is ignored, or a
client could pick a fresh address for each request and walk past every per-address limit.
"""

from __future__ import annotations

from aiohttp import web

from crisis.web.app_keys import CONTEXT

UNKNOWN = "unknown"


def client_address(request: web.Request) -> str:
    peer = request.remote or UNKNOWN
    trusted = request.app[CONTEXT].settings.trusted_proxies
    if peer not in trusted:
        return peer
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer
