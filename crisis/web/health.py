"""Liveness, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import redis.exceptions
from aiohttp import web

from prometheus_client import generate_latest

from crisis.heartbeat import EVENTS_KIND, alive
from crisis.live_gauges import collect, registry_of
from crisis.metrics import exposition, scrape_refusal
from crisis.web.app_keys import CONTEXT

# Checks edge packages add: each returns a problem to show, or None (channels: the spool).
READINESS: web.AppKey[list[Callable[[], str | None]]] = web.AppKey("readiness_checks", list)


async def healthz(request: web.Request) -> web.Response:
    """The process is up and its event loop answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when Redis answers, at least one RQ worker beats (outbound sends, builds) and
    at least one process consumes events (the inbound pipeline: auto-answer, queueing)."""
    ctx = request.app[CONTEXT]
    problems: list[str] = []
    workers: list[str] = []
    consumers: list[str] = []
    try:
        async with asyncio.timeout(1.0):
            await ctx.redis.ping()
            workers = await alive(ctx.redis, ctx.keys, "worker")
            consumers = await alive(ctx.redis, ctx.keys, EVENTS_KIND)
    except (redis.exceptions.RedisError, OSError, TimeoutError):
        problems.append("redis unreachable")
    else:
        if not workers:
            problems.append("no background worker heartbeat (start `crisis worker`)")
        if not consumers:
            problems.append("no event consumer: citizens' messages wait unanswered "
                            "(start `crisis worker --events`, or a `crisis web` without --no-events)")
    problems.extend(p for check in request.app.get(READINESS, []) if (p := check()))
    status = 503 if problems else 200
    return web.json_response(
        {"status": "not ready" if problems else "ready", "problems": problems,
         "workers": len(workers), "event_consumers": len(consumers)}, status=status)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition: to `Authorization: Bearer $CRISIS_METRICS_TOKEN` when that is
    set, else only to clients on this machine (queue sizes and rates tell an attacker how
    stretched the centre is)."""
    # Plain-text refusals, not the login redirect that pages get: the client is a scraper.
    settings = request.app[CONTEXT].settings
    refusal = scrape_refusal(settings.metrics_token, request.headers.get("Authorization", ""),
                             request.remote)
    if refusal is not None:
        return web.Response(status=refusal[0], text=refusal[1])
    body, content_type = exposition(settings.metrics_dir)
    # The centre-wide figures (queues, stream lag, processes alive) read from Redis now.
    body += generate_latest(registry_of(await collect(request.app[CONTEXT])))
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


def setup_health(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
