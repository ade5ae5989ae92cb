"""deploy/nginx as the centre's load balancer, on a real nginx in front of two stand-in web
processes: WebSocket upgrades (/chat/ws, /console/ws) and server-sent events pass through,
requests are spread over the upstream, /metrics is never forwarded. The production file
(crisis-centre.conf) and the compose one (deploy/compose/nginx.conf) pass `nginx -t`."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from testbed.nginx import start_nginx
from testbed.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx"
COMPOSE_CONF = ROOT / "deploy" / "compose" / "nginx.conf"


def _nginx() -> str:
    path = shutil.which("nginx")
    assert path, "nginx is required (apt-get install nginx); .ci/run installs it"
    return path


def _temps(folder: Path) -> str:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    return " ".join(f"{n}_temp_path {folder}/tmp/{d};" for n, d in (
        ("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
        ("uwsgi", "uwsgi"), ("scgi", "scgi")))


def _check(conf: Path) -> None:
    checked = subprocess.run([_nginx(), "-t", "-p", str(conf.parent), "-c", str(conf)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def _standin(number: int) -> web.Application:
    """A web process as the proxy sees it: pages, a WebSocket, a stream of events."""
    async def page(request: web.Request) -> web.Response:
        return web.json_response({"process": number, "forwarded": request.headers.get(
            "X-Forwarded-For"), "proto": request.headers.get("X-Forwarded-Proto")})

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(f"{number}:{message.data}")
        return ws

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: first\n\n")
        await asyncio.sleep(3)  # the first event must reach the browser before this ends
        await response.write(b"data: second\n\n")
        return response

    app = web.Application()
    app.router.add_get("/chat/ws", socket)
    app.router.add_get("/console/ws", socket)
    app.router.add_get("/events", events)
    app.router.add_get("/cell/situation/stream", events)  # its own location (long timeouts)
    app.router.add_get("/metrics", page)
    app.router.add_get("/{path:.*}", page)
    return app


@pytest.fixture
async def backends() -> AsyncIterator[list[int]]:
    servers = [TestServer(_standin(n), host="127.0.0.1", port=free_port()) for n in (1, 2)]
    for server in servers:
        await server.start_server()
    yield [server.port for server in servers if server.port is not None]
    for server in servers:
        await server.close()


@pytest.fixture
def proxy(backends: list[int], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    upstream = " ".join(f"server 127.0.0.1:{p};" for p in backends)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""daemon off; master_process on; worker_processes 1; user root;
pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{ access_log off; {_temps(tmp_path)}
  include {NGINX}/crisis-proxy.http;
  upstream crisis_web {{ {upstream} keepalive 8; }}
  server {{ listen 127.0.0.1:{port}; include {NGINX}/crisis-proxy.locations; }}
}}
""")
    process = start_nginx(conf, port)  # runs `nginx -t` first
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


async def test_websockets_are_upgraded_through_the_proxy(proxy: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/chat/ws", "/console/ws"):
            async with session.ws_connect(proxy.replace("http", "ws") + path) as ws:
                await ws.send_str("bonjour")
                reply = await asyncio.wait_for(ws.receive_str(), timeout=5)
                assert reply.endswith(":bonjour"), reply


async def test_server_sent_events_arrive_while_the_stream_is_open(proxy: str) -> None:
    """Any path, and the situation view's stream in its own location (the wall screens)."""
    async with aiohttp.ClientSession() as session:
        for path in ("/events", "/cell/situation/stream"):
            async with session.get(proxy + path) as response:
                assert response.headers["Content-Type"] == "text/event-stream"
                first = await asyncio.wait_for(response.content.readline(), timeout=2)
                assert first == b"data: first\n", path


async def test_requests_are_spread_and_metrics_are_not_forwarded(proxy: str) -> None:
    async with aiohttp.ClientSession() as session:
        seen = set()
        for _ in range(6):
            async with session.get(proxy + "/console/") as response:
                body = await response.json()
                seen.add(body["process"])
                assert body["forwarded"] == "127.0.0.1" and body["proto"] == "http"
        assert seen == {1, 2}
        async with session.get(proxy + "/metrics") as response:
            assert response.status == 404


def test_production_and_compose_configurations_pass_nginx_t(tmp_path: Path) -> None:
    """The shipped files, with only what the test machine cannot have replaced: certificate
    paths, /etc/nginx, Docker's resolver and the `resolve` flag (nginx >= 1.27.3; Debian
    bookworm has 1.22) and the `web` host name."""
    for name in ("crisis-proxy.http", "crisis-proxy.locations"):
        shutil.copy(NGINX / name, tmp_path / name)
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=t",
                    "-days", "1", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True, timeout=60)
    centre = (NGINX / "crisis-centre.conf").read_text()
    centre = (centre.replace("/etc/nginx/", f"{tmp_path}/")
              .replace("/etc/ssl/info-crise/fullchain.pem", str(certificate))
              .replace("/etc/ssl/info-crise/privkey.pem", str(key))
              .replace("listen 443", f"listen 127.0.0.1:{free_port()}")
              .replace("listen [::]:443 ssl http2;", "")
              .replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
              .replace("listen [::]:80;", ""))
    (tmp_path / "crisis-centre.conf").write_text(centre)
    wrapper = tmp_path / "centre-nginx.conf"
    wrapper.write_text(f"""pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log warn;
events {{ }}
http {{ {_temps(tmp_path)} include {tmp_path}/crisis-centre.conf; }}
""")
    _check(wrapper)
    compose = (COMPOSE_CONF.read_text()
               .replace("/etc/nginx/crisis-", f"{tmp_path}/crisis-")
               .replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;")
               .replace("resolver 127.0.0.11", "resolver 127.0.0.1")
               .replace("server web:8080 resolve", "server 127.0.0.1:8080")
               .replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
               .replace("http {", f"http {{ {_temps(tmp_path)}", 1))
    assert compose.count(str(tmp_path)) >= 4  # every replacement above took
    (tmp_path / "compose-nginx.conf").write_text(compose)
    _check(tmp_path / "compose-nginx.conf")
