"""The situation view's live stream for wall screens (GET /cell/situation/stream) over real
HTTP with the real app and Redis: the figures at once, a frame per change and none without
one, heartbeats, a slow screen that holds no memory, the cap, the roles, an ended session;
and in Debian's Chromium, the page updated by the stream without reloading."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import unescape
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import async_playwright, expect

from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.settings import load_settings
from crisis.types import Role
from monitoring.situation_stream import QUEUE_FRAMES, SITUATION_STREAM, SituationStream
from tests.conftest import ADMIN, CELL, bearer, login
from tests.monitoring.test_situation_page import _chat_contact
from tests.support.browser import axe_violations, launch_chromium, log_in
from tests.support.polling import until

PASSWORD = "correct horse battery staple"


@dataclass
class Event:
    name: str  # "comment" for a heartbeat
    data: str
    id: str | None = None


async def next_event(response: aiohttp.ClientResponse, timeout: float = 5.0) -> Event:
    """The next server-sent event (or comment) of an open stream."""
    name, data, event_id, comment = "message", [], None, None
    async with asyncio.timeout(timeout):
        while True:
            line = (await response.content.readline()).decode()
            assert line, "the stream ended"
            line = line.rstrip("\n")
            if not line:
                if comment is not None:
                    return Event("comment", comment)
                if data or name != "message":
                    return Event(name, "\n".join(data), event_id)
                continue
            if line.startswith(":"):
                comment = line[1:].strip()
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = value


async def events_for(response: aiohttp.ClientResponse, seconds: float) -> list[Event]:
    """Every event the stream sends within `seconds`."""
    seen: list[Event] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            seen.append(await next_event(response, left))
        except TimeoutError:
            break
    return seen


async def next_figures(response: aiohttp.ClientResponse,
                       wanted: Callable[[str], bool] = lambda html: True) -> Event:
    """The next `figures` frame whose HTML is `wanted` (within 15 s)."""
    async def probe() -> Event | None:
        found = await next_event(response)
        return found if found.name == "figures" and wanted(found.data) else None
    return await until(probe)


def figure(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return unescape(found.group(1)).strip()


async def _client(aiohttp_client: Any, env: dict[str, str], redis_url: str, **extra: str) -> Any:
    from crisis.app import build_app
    return await aiohttp_client(build_app(load_settings({**env, **extra}), redis_url))


def _stream(client: Any) -> SituationStream:
    stream: SituationStream = client.server.app[SITUATION_STREAM]
    return stream


async def test_the_figures_come_at_once_then_a_frame_per_change_and_none_without(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    client = await _client(aiohttp_client, env, redis_url, CRISIS_SITUATION_PERIOD_MS="200")
    await login(client, ctx, "chef", Role.CELL)
    async with client.get("/cell/situation/stream") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Accel-Buffering"] == "no"
        hello = await next_event(response)
        assert hello.name == "hello" and json.loads(hello.data) == {"period_ms": 200}
        first = await next_event(response)
        assert first.name == "figures" and first.id
        assert figure(first.data, "fig-contacts-total") == "0"
        assert first.data.lstrip().startswith('<p class="updated">Mis à jour à <time')
        assert "<html" not in first.data and "<nav" not in first.data
        # Nothing changes: no new figures, only the time of each check.
        quiet = await events_for(response, 1.0)
        assert quiet and {e.name for e in quiet} == {"checked"}, quiet
        checked = json.loads(quiet[-1].data)
        assert re.fullmatch(r"\d\d:\d\d:\d\d", checked["label"]) and checked["at"].endswith("+00:00")
        # A crisis goes live, a citizen writes on the chat: new frames with those figures.
        await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75"],
                                level=2, actor=CELL, title="Crue <b>Seine</b>")
        changed = await next_figures(response)
        assert "Crue &lt;b&gt;Seine&lt;/b&gt;" in changed.data and changed.id != first.id
        await _chat_contact(client, "/chat/ws")
        await next_figures(response, lambda html: figure(html, "fig-contacts-chat") == "1")


async def test_heartbeats_keep_a_quiet_stream_open(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    """With a long period, a stream with nothing to say still writes a comment now and then
    (proxies close a silent connection), and sends no figures."""
    client = await _client(aiohttp_client, env, redis_url, CRISIS_SITUATION_PERIOD_MS="60000")
    _stream(client).heartbeat_s = 0.3
    await login(client, ctx, "sup", Role.SUPERVISOR)
    async with client.get("/cell/situation/stream?lang=en") as response:
        assert (await next_event(response)).name == "hello"
        first = await next_event(response)
        while first == Event("comment", "keep-alive"):  # the first figures took > 0.3 s (load)
            first = await next_event(response)
        assert first.name == "figures" and "Updated at" in first.data
        quiet = await events_for(response, 1.2)
        assert len(quiet) >= 2 and all(e == Event("comment", "keep-alive") for e in quiet), quiet


async def test_a_slow_screen_holds_bounded_memory_and_is_cut_off(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    """A screen that stops reading: its queue keeps QUEUE_FRAMES frames at most (the oldest
    dropped), the socket's buffer one frame, and after the send timeout it is cut off. The
    renderer is replaced by one that makes every frame new and 1 MB big."""
    client = await _client(aiohttp_client, env, redis_url, CRISIS_SITUATION_PERIOD_MS="200")
    stream = _stream(client)
    numbers = itertools.count()
    frame_bytes = 1_000_000

    async def big_figures(request: web.Request, body: Mapping[str, Any], cell: bool) -> str:
        return f"<p>{next(numbers)}</p><p>{'x' * frame_bytes}</p>"
    stream.render = big_figures
    stream.send_timeout_s = 5.0  # long enough for the queue to fill (8 frames in 1.6 s)
    headers = await bearer(ctx, "mur", Role.SUPERVISOR)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", client.server.port))
    raw.send((f"GET /cell/situation/stream HTTP/1.1\r\nHost: x\r\nAuthorization: "
              f"{headers['Authorization']}\r\n\r\n").encode())
    try:
        subscriber = (await until(lambda: _first(stream)))
        await until(lambda: _value(subscriber.dropped), timeout=30)
        assert len(subscriber.frames) <= QUEUE_FRAMES
        assert sum(len(f) for f in subscriber.frames) <= QUEUE_FRAMES * (frame_bytes + 200)
        transport = subscriber.request.transport
        assert transport is not None and transport.get_write_buffer_size() <= 2 * frame_bytes
        await until(lambda: _value(not stream.subscribers), timeout=10)  # cut off
    finally:
        raw.close()


async def test_a_screen_behind_keeps_its_newest_figures(ctx: Context) -> None:
    """Checks only go to a screen with nothing waiting, so a slow screen's queue holds
    figures, the newest last, never figures pushed out by the times of later checks."""
    from aiohttp.test_utils import make_mocked_request
    from crisis.web.app_keys import CONTEXT
    from monitoring.situation_stream import Subscriber, Variant

    versions = iter(["<p>un</p>", "<p>deux</p>"] + ["<p>deux</p>"] * 20)
    async def render(request: web.Request, body: Mapping[str, Any], cell: bool) -> str:
        return next(versions)
    stream = SituationStream(ctx, render, period_s=60,
                             max_streams=5)
    app = web.Application()
    app[CONTEXT] = ctx
    slow = Subscriber(Variant("fr", "", True), make_mocked_request("GET", "/", app=app), 8)
    stream.subscribers.add(slow)  # as _join does, without starting the publisher
    for _ in range(12):
        await stream.publish_once()
    assert [f.split(b"\n")[1] for f in slow.frames] == [b"event: figures"] * 2
    assert b"data: <p>deux</p>" in slow.frames[-1]
    slow.frames.clear()
    await stream.publish_once()
    assert len(slow.frames) == 1 and slow.frames[0].startswith(b"event: checked\n")


async def _first(stream: SituationStream) -> Any:
    return next(iter(stream.subscribers), None)


async def _value(value: Any) -> Any:
    return value


async def test_beyond_the_cap_a_screen_gets_503_with_retry_after(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    client = await _client(aiohttp_client, env, redis_url, CRISIS_SITUATION_STREAMS="2")
    headers = await bearer(ctx, "mur", Role.SUPERVISOR)
    first = await client.get("/cell/situation/stream", headers=headers)
    second = await client.get("/cell/situation/stream", headers=headers)
    assert first.status == second.status == 200
    refused = await client.get("/cell/situation/stream", headers=headers)
    assert refused.status == 503 and int(refused.headers["Retry-After"]) > 0
    first.close()
    await until(lambda: _value(len(_stream(client).subscribers) < 2))
    again = await client.get("/cell/situation/stream", headers=headers)
    assert again.status == 200 and (await next_event(again)).name == "hello"
    for response in (second, again):
        response.close()


async def test_roles_are_enforced_and_an_ended_session_ends_the_stream(
        aiohttp_client: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    client = await _client(aiohttp_client, env, redis_url, CRISIS_SITUATION_PERIOD_MS="200")
    _stream(client).recheck_s = 0.3
    anonymous = await client.get("/cell/situation/stream", allow_redirects=False)
    assert anonymous.status == 401  # EventSource cannot follow a redirect to the login form
    await login(client, ctx, "op", Role.OPERATOR)
    assert (await client.get("/cell/situation/stream", allow_redirects=False)).status == 403
    client.session.cookie_jar.clear()
    operator_token = await bearer(ctx, "robot", Role.OPERATOR)
    assert (await client.get("/cell/situation/stream", headers=operator_token)).status == 403
    csrf = await login(client, ctx, "sup", Role.SUPERVISOR)
    head = await client.head("/cell/situation/stream")
    assert head.status == 200 and head.content_type == "text/event-stream"
    async with client.get("/cell/situation/stream") as response:
        assert response.status == 200 and (await next_event(response)).name == "hello"
        assert (await next_event(response)).name == "figures"
        assert (await client.post("/logout", headers=csrf, allow_redirects=False)).status < 400
        client.session.cookie_jar.clear()

        async def ended() -> bool:
            try:
                await next_event(response, 1.0)
            except AssertionError:
                return True  # "the stream ended"
            except (TimeoutError, aiohttp.ClientPayloadError):
                return False
            return False
        await until(ended, timeout=10)
    assert (await client.get("/cell/situation/stream", allow_redirects=False)).status == 401


@pytest.mark.browser
@pytest.mark.slow
async def test_the_wall_screen_updates_live_without_reloading_in_chromium(
        aiohttp_server: Any, env: dict[str, str], redis_url: str, ctx: Context) -> None:
    """The page follows the stream: a chat contact shows on the wall within seconds, the page
    not reloaded and the focus kept; a second screen beyond the cap falls back to polling."""
    from crisis.app import build_app
    app = build_app(load_settings({**env, "CRISIS_SITUATION_PERIOD_MS": "500",
                                   "CRISIS_SITUATION_STREAMS": "1"}), redis_url)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account("cellule", Role.CELL, PASSWORD, actor=ADMIN)
    await activate_scenario(ctx.crises, ctx.publications, "inondation", areas=["75", "92"],
                            level=2, actor=CELL, title="Crue de la Seine")
    async with aiohttp.ClientSession() as citizen, async_playwright() as p:
        browser = await launch_chromium(p)
        page = await (await browser.new_context(locale="fr-FR")).new_page()
        page.set_default_timeout(5000)
        await log_in(page, base, "cellule", PASSWORD, "/cell/situation")
        await expect(page.locator("#situation-live")).to_have_text(
            "En direct : les chiffres se mettent à jour dès qu'ils changent.")
        await expect(page.locator("#fig-contacts-chat")).to_have_text("0")
        await page.evaluate("window.notReloaded = true")
        await page.locator("#sit-channel-region").focus()
        first_time = await page.locator("#situation-updated").inner_text()
        await _chat_contact(citizen, f"{base}/chat/ws")
        await expect(page.locator("#fig-contacts-chat")).to_have_text("1", timeout=10000)
        await expect(page.locator("#fig-contacts-total")).to_have_text("1")
        await expect(page.locator("#situation-updated")).not_to_have_text(first_time)
        assert await page.evaluate("window.notReloaded === true")
        await expect(page.locator("#sit-channel-region")).to_be_focused()
        assert await page.locator("[aria-live]").count() == 0
        assert await axe_violations(page) == []
        await page.screenshot(path="/tmp/screens/sse-live.png", full_page=True)
        # A second screen of the same process, beyond CRISIS_SITUATION_STREAMS=1: refused
        # with 503, its page polls the fragment instead and says so.
        second = await (await browser.new_context(locale="fr-FR")).new_page()
        await log_in(second, base, "cellule", PASSWORD, "/cell/situation")
        await expect(second.locator("#situation-live")).to_have_text(
            "Les chiffres se mettent à jour toutes les 5 secondes.")
        await expect(second.locator("#fig-contacts-chat")).to_have_text("1")
        await second.evaluate("window.notReloaded = true")
        await activate_scenario(ctx.crises, ctx.publications, "canicule", areas=["13"],
                                level=1, actor=CELL, title="Canicule en Provence")
        await expect(second.locator(".sit-crises")).to_contain_text("Canicule en Provence",
                                                                    timeout=15000)
        assert await second.evaluate("window.notReloaded === true")
        await expect(page.locator(".sit-crises")).to_contain_text("Canicule en Provence")
        # The figures can no longer be computed (as when Redis is unreachable): the stream
        # stays open but silent, and the first screen says its figures may be old; it is
        # live again as soon as they come back.
        stream = app[SITUATION_STREAM]
        working = stream.publish_once

        async def unreachable() -> None:
            raise ConnectionError("Redis is unreachable")
        stream.publish_once = unreachable  # type: ignore[method-assign]
        await expect(page.locator("#situation-live")).to_contain_text("Connexion perdue",
                                                                      timeout=10000)
        await expect(page.locator("#situation-figures")).to_have_class(re.compile("stale"))
        await page.screenshot(path="/tmp/screens/sse-stale.png", full_page=True)
        stream.publish_once = working  # type: ignore[method-assign]
        await expect(page.locator("#situation-live")).to_contain_text("En direct")
        assert await page.evaluate("window.notReloaded === true")
        # The session ends (sign-out elsewhere, expiry): the stream ends, its reconnection
        # gets 401, and the wall screen goes to the login form.
        stream.recheck_s = 0.3
        cookie = next(c["value"] for c in await page.context.cookies()
                      if c["name"] == "crisis_session")
        await ctx.accounts.close_session(cookie)
        await page.wait_for_url(re.compile(r"/login\?next=/cell/situation"), timeout=15000)
        # Without JavaScript: the figures, and a hint that says to refresh (no false promise).
        static = await (await browser.new_context(locale="fr-FR", java_script_enabled=False)
                        ).new_page()
        await log_in(static, base, "cellule", PASSWORD, "/cell/situation")
        await expect(static.locator("#situation-live")).to_have_text(
            "Actualisez la page pour voir les derniers chiffres.")
        await static.get_by_role("link", name="Actualiser").click()
        await expect(static.locator(".sit-crises")).to_contain_text("Canicule en Provence")
        await static.screenshot(path="/tmp/screens/sse-nojs.png")
        await browser.close()
