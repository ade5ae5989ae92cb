"""Shared Playwright + axe-core helpers: Debian's Chromium, and axe's serious/critical findings."""

from __future__ import annotations

import contextlib
import ctypes
import json
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


_shared: subprocess.Popen[bytes] | None = None
_endpoint = ""


async def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium (never a downloaded browser): a connection to the test run's
    one Chromium, launched by Playwright's own browser server at the first call.

    Launching a Chromium per test, and closing it, cost about a second of each of some fifty
    browser tests. Each test still has its own browser contexts (cookies, storage,
    permissions), closed with its connection by `browser.close()`.
    """
    return await playwright.chromium.connect(_shared_endpoint())


def _shared_endpoint() -> str:
    """The browser server's WebSocket endpoint, the server started if it is not running.
    Started from the calling (main) thread: PR_SET_PDEATHSIG ends it with that thread, so a
    test run killed with -9 leaves no Chromium behind."""
    global _shared, _endpoint
    if _shared is not None and _shared.poll() is None:
        return _endpoint
    from playwright._impl._driver import compute_driver_executable

    node, cli = compute_driver_executable()
    folder = Path(tempfile.mkdtemp())
    config, out = folder / "chromium.json", folder / "server.out"
    config.write_text(json.dumps({"executablePath": CHROMIUM, "headless": True,
                                  "args": CHROMIUM_ARGS}))
    with out.open("wb") as output:  # a file, not a pipe nobody reads after the first line
        _shared = subprocess.Popen([node, cli, "launch-server", "--browser", "chromium",
                                    "--config", str(config)], stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=_die_with_parent)
    deadline = time.monotonic() + 30
    while not out.read_text().endswith("\n"):
        if _shared.poll() is not None or time.monotonic() > deadline:
            stop_shared_chromium()
            raise RuntimeError(f"Playwright's browser server did not start: {out.read_text()}")
        time.sleep(0.02)
    _endpoint = out.read_text().splitlines()[0].strip()
    return _endpoint


def _die_with_parent() -> None:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def stop_shared_chromium() -> None:
    """End the browser server (and its Chromium) at the end of the test run."""
    global _shared
    if _shared is None:
        return
    _shared.terminate()
    try:
        _shared.wait(10)
    except subprocess.TimeoutExpired:
        _shared.kill()
        _shared.wait()
    _shared = None


async def log_in(page: Any, base: str, name: str, password: str, landing: str) -> None:
    """Sign in through the login form, by keyboard, and wait for `landing` (a path)."""
    await page.goto(f"{base}/login?next={landing}")
    await page.fill("#name", name)
    await page.fill("#password", password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}{landing}")


PASSWORD = "correct horse battery staple"


@contextlib.asynccontextmanager
async def signed_in_page(aiohttp_server: Any, ctx: Any, settings: Any, redis_url: str,
                         landing: str, *, name: str = "cellule", role: Any = None,
                         locale: str = "fr-FR", timeout_ms: int = 8000,
                         ) -> AsyncIterator[tuple[Any, str]]:
    """The whole centre served on loopback, an account `name` (the cell's role unless told),
    and a Chromium page signed in through the login form on `landing`: (page, base URL).
    The browser is closed on the way out, failed or not."""
    from playwright.async_api import async_playwright

    from crisis.app import build_app
    from crisis.types import Role
    from tests.conftest import ADMIN
    server = await aiohttp_server(build_app(settings, redis_url))
    base = str(server.make_url("")).rstrip("/")
    await ctx.accounts.create_account(name, role or Role.CELL, PASSWORD, actor=ADMIN)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await (await browser.new_context(locale=locale)).new_page()
            page.set_default_timeout(timeout_ms)
            await log_in(page, base, name, PASSWORD, landing)
            yield page, base
        finally:
            await browser.close()


async def scroll_to(page: Any, element_id: str) -> None:
    """Scroll the element into view in one step: on a live page (the situation view's stream
    swaps its figures) a locator's find-then-scroll can lose the element in between."""
    await page.evaluate("id => document.getElementById(id).scrollIntoView()", element_id)


async def drawn_box(locator: Any, tries: int = 5) -> dict[str, float]:
    """The element's box once it is drawn. On a live page the region holding it may be
    swapped between Playwright's find and its measure, which reads a detached element (no
    box): measured again, a few times, rather than failing on the swap."""
    for _ in range(tries):
        box = await locator.bounding_box()
        if box is not None:
            return cast(dict[str, float], box)
    raise AssertionError(f"{locator} is never drawn")


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core violations of impact serious or critical on the current page.

    axe is injected with page.evaluate, which a page's CSP (script-src 'self') does not block.
    """
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` at the project root")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa', 'best-practice']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
