"""Load shedding (crisis/web/load_shedding.py) over real HTTP on loopback: past the bound,
webhooks are refused at once with 503 + Retry-After; other routes are never refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from crisis.web.load_shedding import WEBHOOKS_SHED, load_shedding
from tests.support.polling import until

BOUND = 8


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, asyncio.Event, list[int]]]:
    """Webhooks that take until `release` is set; a health check and a static-like page."""
    release = asyncio.Event()
    entered = [0]

    async def slow_hook(request: web.Request) -> web.Response:
        entered[0] += 1
        await release.wait()
        return web.Response(text="ok")

    async def quick(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[load_shedding(BOUND)])
    app.router.add_post("/hooks/twilio/sms", slow_hook)
    app.router.add_get("/healthz", quick)
    app.router.add_get("/index.html", quick)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), release, entered
    release.set()
    await server.close()


async def test_webhooks_past_the_bound_are_refused_at_once_and_the_rest_still_served(
        slow_server: tuple[str, asyncio.Event, list[int]]) -> None:
    base, release, entered = slow_server
    shed_before = WEBHOOKS_SHED._value.get()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def post() -> int:
            async with http.post(f"{base}/hooks/twilio/sms", data={"Body": "x"}) as response:
                return response.status

        held = [asyncio.create_task(post()) for _ in range(BOUND)]

        async def all_in_flight() -> bool:
            return entered[0] == BOUND
        await until(all_in_flight, 10)

        started = time.perf_counter()
        async with http.post(f"{base}/hooks/twilio/sms", data={"Body": "y"}) as response:
            refused_in = time.perf_counter() - started
            assert response.status == 503
            assert response.headers["Retry-After"] == "2"
            assert (await response.json())["error"]["code"] == "busy"
        # Refused at once, not queued (generous for a loaded CI machine; typically ~1 ms).
        assert refused_in < 0.5, refused_in
        for path in ("/healthz", "/index.html"):
            async with http.get(f"{base}{path}") as response:
                assert response.status == 200, path
        assert WEBHOOKS_SHED._value.get() >= shed_before + 1

        release.set()
        assert await asyncio.gather(*held) == [200] * BOUND
        # Below the bound again: accepted.
        async with http.post(f"{base}/hooks/twilio/sms", data={"Body": "z"}) as response:
            assert response.status == 200
