"""Liveness, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

import asyncio

import redis.exceptions
from aiohttp import web

from crisis.heartbeat import EVENTS_KIND, alive
from crisis.metrics import exposition
from crisis.web.app_keys import CONTEXT

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
    status = 503 if problems else 200
    return web.json_response(
        {"status": "not ready" if problems else "ready", "problems": problems,
         "workers": len(workers), "event_consumers": len(consumers)}, status=status)


async def metrics(request: web.Request) -> web.Response:
    body, content_type = exposition(request.app[CONTEXT].settings.metrics_dir)
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


def setup_health(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
