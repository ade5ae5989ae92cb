"""Load shedding: above CRISIS_MAX_INFLIGHT webhooks in flight, new ones get 503 at once.

A provider waits about 15 s for our answer and then retries (Twilio). Past a web process's
capacity, accepting more only lengthens the line: every request in it ends up slower, then
timed out, and the timed-out ones come back as retries, more load. Refusing the excess at
once with 503 + Retry-After keeps the accepted ones fast and tells the provider when to try
again. Only webhooks (/hooks/) are counted and shed: pages, the API, static files, health
checks and /metrics never are (a load balancer must still see the process alive and ready).

Outermost middleware: a shed request costs a path test and a counter, nothing else (its
body is not even read).
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

SHED_PREFIX = "/hooks/"
RETRY_AFTER_S = 2
LOG_EVERY_S = 5.0  # one line per process at most this often, however many are shed

WEBHOOKS_IN_FLIGHT = Gauge(
    "crisis_http_webhooks_in_flight", "Webhooks being answered now, summed over web processes.",
    multiprocess_mode="livesum")
WEBHOOKS_SHED = Counter(
    "crisis_http_webhooks_shed_total",
    "Webhooks refused with 503 at once because the process had CRISIS_MAX_INFLIGHT in flight.")

_SHED_BODY = b'{"error": {"code": "busy", "message": "overloaded; retry after 2 s"}}'


def load_shedding(max_inflight: int) -> Middleware:
    """A middleware admitting at most `max_inflight` webhooks at a time in this process."""
    in_flight = 0
    shed_since_log = 0
    last_log = 0.0

    @web.middleware
    async def shed_load(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight, shed_since_log, last_log
        if not request.path.startswith(SHED_PREFIX):
            return await handler(request)
        if in_flight >= max_inflight:
            WEBHOOKS_SHED.inc()
            shed_since_log += 1
            now = time.monotonic()
            if now - last_log >= LOG_EVERY_S:
                log.warning("webhooks shed: too many in flight", extra={
                    "shed": shed_since_log, "max_inflight": max_inflight})
                shed_since_log, last_log = 0, now
            return web.Response(status=503, body=_SHED_BODY, content_type="application/json",
                                headers={"Retry-After": str(RETRY_AFTER_S)})
        in_flight += 1
        WEBHOOKS_IN_FLIGHT.inc()
        try:
            return await handler(request)
        finally:
            in_flight -= 1
            WEBHOOKS_IN_FLIGHT.dec()

    return shed_load
