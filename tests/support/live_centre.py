"""A whole centre serving on a loopback port from a thread, for tests that are not async
(schemathesis, Hypothesis' @given): real HTTP and WebSockets, the test's real Redis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aiohttp import web

from crisis.app import build_app
from crisis.settings import Settings

T = TypeVar("T")


class LiveCentre:
    """The app's event loop runs in a thread; `call` runs a coroutine there and waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, runner: web.AppRunner) -> None:
        self.loop = loop
        self.runner = runner
        self.app = runner.app
        self.base = f"http://127.0.0.1:{runner.addresses[0][1]}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)


@contextmanager
def live_centre(settings: Settings, redis_url: str) -> Iterator[LiveCentre]:
    """Start the app built from `settings` on a free port; stop it and its loop after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-centre", daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(build_app(settings, redis_url))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
    centre = LiveCentre(loop, runner)
    try:
        yield centre
    finally:
        centre.call(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
