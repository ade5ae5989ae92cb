"""Live updates across web processes, and a web process killed -9 under a connected browser.

Two `crisis web` processes on one Redis behind nginx (the production shape), with an events
process and a worker. nginx listens twice: port A sends to web 1 (web 2 as backup), port B to
web 2 (web 1 as backup), so each browser is known to be on its own web process. An operator
on B sees an SMS that arrived at web 1, live; a supervisor on A sees the operator's reply
from web 2, live. Then web 1 is killed -9: the supervisor's page reconnects through nginx to
web 2 by itself (no reload) and shows what arrived meanwhile."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import BinaryIO

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect

from crisis.cli.runtime import command_context
from crisis.settings import load_settings
from crisis.types import Role
from testbed.nginx import start_nginx
from testbed.ports import free_port
from testbed.redis_sentinel import RedisProcess
from tests.channels.conftest import sms_form
from tests.channels.test_console_pages import CONSOLE_PUBLIC_URL, signed
from tests.conftest import ADMIN
from tests.faults.traffic import centre_env
from tests.faults.up import status
from tests.support.browser import launch_chromium, log_in
from tests.support.polling import until

pytestmark = [pytest.mark.faults, pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
CITIZEN = "+33611223344"


def balancer_config(folder: Path, routes: dict[int, tuple[int, int]]) -> Path:
    """nginx listening on each key port, proxying to (primary, backup) web ports, WebSocket
    upgrade included (as deploy/nginx would for the console)."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    temps = " ".join(f"{name}_temp_path {folder}/tmp/{sub};" for name, sub in (
        ("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
        ("uwsgi", "uwsgi"), ("scgi", "scgi")))
    servers = "".join(f"""
  upstream web_{listen} {{ server 127.0.0.1:{primary} max_fails=1 fail_timeout=5s;
                         server 127.0.0.1:{backup} backup; }}
  server {{ listen 127.0.0.1:{listen};
    location / {{ proxy_pass http://web_{listen}; proxy_http_version 1.1;
      proxy_set_header Host $http_host; proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade; proxy_read_timeout 120s;
      proxy_next_upstream error timeout; proxy_connect_timeout 2s; }} }}"""
                      for listen, (primary, backup) in routes.items())
    conf = folder / "nginx.conf"
    conf.write_text(f"""daemon off; master_process on; worker_processes 1; user root;
pid {folder}/nginx.pid; error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{ access_log off; {temps}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}{servers}
}}
""")
    return conf


async def _spawn(env: dict[str, str], logs: Path, name: str, args: list[str],
                 files: list[BinaryIO]) -> asyncio.subprocess.Process:
    log = (logs / f"{name}.log").open("wb")
    files.append(log)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "crisis", *args, env=env,
                                                stdout=log, stderr=log)


async def _sms(port: int, body: str, sid: str) -> None:
    headers, form = signed("/hooks/twilio/sms", sms_form(body, sid, CITIZEN))
    async with aiohttp.ClientSession() as http:
        async with http.post(f"http://127.0.0.1:{port}/hooks/twilio/sms", data=form,
                             headers=headers) as response:
            assert response.status == 200, await response.text()


async def test_live_updates_cross_web_processes_and_survive_a_killed_one(
        server: RedisProcess, twilio_base: str, tmp_path: Path) -> None:
    prefix = f"l{uuid.uuid4().hex[:8]}:"
    env = centre_env(server.url, prefix, tmp_path / "var", twilio_base,
                     CRISIS_PUBLIC_URL=CONSOLE_PUBLIC_URL, PATH="/usr/bin:/bin")
    async with command_context(load_settings(env), server.url) as ctx:
        await ctx.accounts.create_account("agent", Role.OPERATOR, PASSWORD, actor=ADMIN)
        await ctx.accounts.create_account("chef", Role.SUPERVISOR, PASSWORD, actor=ADMIN)
    web1, web2, port_a, port_b = free_port(), free_port(), free_port(), free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    files: list[BinaryIO] = []
    processes = {
        "web1": await _spawn({**env, "CRISIS_PORT": str(web1)}, logs, "web1",
                             ["web", "--no-events"], files),
        "web2": await _spawn({**env, "CRISIS_PORT": str(web2)}, logs, "web2",
                             ["web", "--no-events"], files),
        "events": await _spawn(env, logs, "events", ["worker", "--events"], files),
        "worker": await _spawn(env, logs, "worker", ["worker"], files)}
    nginx = await asyncio.to_thread(start_nginx, balancer_config(
        tmp_path / "nginx", {port_a: (web1, web2), port_b: (web2, web1)}), port_a)
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        for port in (web1, web2):
            await until(lambda: status(f"http://127.0.0.1:{port}/readyz", 200), 40)
        async with async_playwright() as p:
            browser = await launch_chromium(p)
            operator = await (await browser.new_context(locale="fr-FR")).new_page()
            await log_in(operator, b, "agent", PASSWORD, "/console/")  # on web 2
            await operator.check("#status-available")
            await operator.get_by_role("button", name="Changer de statut").click()
            await expect(operator.locator("body")).to_have_attribute("data-live", "on")
            await operator.evaluate("window.notReloaded = true")

            await _sms(web1, "je voudrais parler a un humain", "SMlive1")
            offered = operator.locator("#my-conversations a")
            await expect(offered).to_have_count(1)  # arrived at web 1, shown by web 2
            assert await operator.evaluate("window.notReloaded === true")
            link = str(await offered.get_attribute("href"))

            chef = await (await browser.new_context(locale="fr-FR")).new_page()
            await log_in(chef, a, "chef", PASSWORD, "/console/supervisor")  # on web 1
            await chef.goto(f"{a}{link}")
            await expect(chef.locator("body")).to_have_attribute("data-live", "on")
            await chef.evaluate("window.notReloaded = true")

            await offered.click()
            await operator.wait_for_url(re.compile(r".*/console/c/c[0-9a-f]+$"))
            await operator.fill("#reply", "Bonjour, ici le centre. Que se passe-t-il ?")
            await operator.keyboard.press("Control+Enter")
            await expect(operator.locator(".msg-operator .text").last).to_have_text(
                "Bonjour, ici le centre. Que se passe-t-il ?")
            await operator.evaluate("window.notReloaded = true")  # the reply's page now
            await expect(chef.locator(".msg-operator .text").last).to_have_text(
                "Bonjour, ici le centre. Que se passe-t-il ?")  # sent on web 2, live on web 1

            processes["web1"].send_signal(signal.SIGKILL)
            await processes["web1"].wait()
            killed_at = time.monotonic()
            await expect(chef.locator("body")).to_have_attribute("data-live", "off")
            # What arrives while the page has no socket is caught up on reconnection.
            await _sms(web2, "ma rue est inondee", "SMlive2")
            await expect(chef.locator("body")).to_have_attribute("data-live", "on",
                                                                 timeout=20_000)
            await expect(chef.locator(".msg-citizen .text")).to_have_text(
                ["je voudrais parler a un humain", "ma rue est inondee"])
            print(f"\nweb 1 killed -9: the supervisor's page live again through nginx on "
                  f"web 2 after {time.monotonic() - killed_at:.1f} s, nothing missing")
            await _sms(web2, "merci", "SMlive3")  # and the live socket, now on web 2
            await expect(chef.locator(".msg-citizen .text").last).to_have_text("merci")
            assert await chef.evaluate("window.notReloaded === true")
            assert await operator.evaluate("window.notReloaded === true")
            await expect(operator.locator(".msg-citizen .text").last).to_have_text("merci")
            await browser.close()
    finally:
        nginx.terminate()
        await asyncio.to_thread(nginx.wait)
        for process in processes.values():
            if process.returncode is None:
                process.terminate()
        for process in processes.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        for log in files:
            log.close()

