"""Shared Playwright + axe-core helpers: Debian's Chromium, and axe's serious/critical findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


async def launch_chromium(playwright: Any) -> Any:
    """Headless Debian Chromium (never a downloaded browser)."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS)


async def log_in(page: Any, base: str, name: str, password: str, landing: str) -> None:
    """Sign in through the login form, by keyboard, and wait for `landing` (a path)."""
    await page.goto(f"{base}/login?next={landing}")
    await page.fill("#name", name)
    await page.fill("#password", password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}{landing}")


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
