"""/metrics is for Prometheus only, and no response names the server's software or version."""

from __future__ import annotations

from typing import Any

import pytest

from crisis.settings import load_settings
from crisis.metrics import loopback as _loopback


@pytest.fixture
async def token_client(aiohttp_client: Any, env: dict[str, str], redis_url: str) -> Any:
    from crisis.app import build_app

    settings = load_settings({**env, "CRISIS_METRICS_TOKEN": "scrape-me-please"})
    return await aiohttp_client(build_app(settings, redis_url))


async def test_with_a_metrics_token_only_its_bearer_reads_the_metrics(token_client: Any) -> None:
    assert (await token_client.get("/metrics")).status == 401
    wrong = await token_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await token_client.get("/metrics",
                                   headers={"Authorization": "Bearer scrape-me-please"})
    assert right.status == 200 and "crisis_http_requests" in await right.text()


async def test_without_a_token_metrics_answer_this_machine_only(client: Any) -> None:
    assert (await client.get("/metrics")).status == 200  # the test client is on loopback
    assert _loopback("127.0.0.1") and _loopback("::1")
    assert not _loopback("203.0.113.7") and not _loopback("10.0.0.2") and not _loopback(None)


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/openapi.json", "/no-such-page", "/login"])
async def test_no_response_names_the_server_software(client: Any, path: str) -> None:
    response = await client.get(path)
    server = response.headers.get("Server", "")
    assert "aiohttp" not in server.lower() and "python" not in server.lower(), server
