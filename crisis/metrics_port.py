"""/metrics of a process that serves no HTTP otherwise: `crisis worker` and `crisis worker
--events` with CRISIS_METRICS_PORT set.

In a container or pod of its own, such a process writes its samples to its own
PROMETHEUS_MULTIPROC_DIR (its RQ work horses too), which no web process reads: Prometheus
scrapes it here instead. Same access rule as the web's /metrics (crisis/metrics.py
`scrape_refusal`: the bearer token, else loopback only). Only the process's own samples: the
centre-wide gauges read from Redis (queues, stream lag, processes alive) stay on the web's
/metrics, so they are not counted once per scraped process.

A plain standard-library server in a daemon thread, one request at a time with a timeout:
a scrape every 15 s needs no more, a slow or stuck client cannot hold the process, and the
events process's event loop never waits on the exposition's file reads.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from crisis.errors import ConfigError
from crisis.metrics import exposition, scrape_refusal
from crisis.settings import Settings

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0


class MetricsServer:
    """The listening server; `close()` stops it (the thread is a daemon either way)."""

    def __init__(self, server: HTTPServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(REQUEST_TIMEOUT_S)


def _handler(settings: Settings) -> type[BaseHTTPRequestHandler]:
    class MetricsHandler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_S  # a client that sends nothing is dropped

        def version_string(self) -> str:
            # As the web processes say: no software or version banner (docs/security.md).
            return "crisis-centre"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(404, b"only /metrics here\n", "text/plain; charset=utf-8")
                return
            refusal = scrape_refusal(settings.metrics_token,
                                     self.headers.get("Authorization", ""),
                                     self.client_address[0])
            if refusal is not None:
                self._answer(refusal[0], refusal[1].encode(), "text/plain; charset=utf-8")
                return
            body, content_type = exposition(settings.metrics_dir)
            self._answer(200, body, content_type)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            # One line per scrape every 15 s says nothing the metrics do not.
            log.debug("metrics request: " + format, *args)

    return MetricsHandler


def start_metrics_port(settings: Settings) -> MetricsServer | None:
    """Serve /metrics on CRISIS_HOST:CRISIS_METRICS_PORT from a daemon thread (None: unset).
    A port that cannot be had is a ConfigError naming the setting, not a silent gap."""
    if settings.metrics_port is None:
        return None

    class Server(HTTPServer):
        address_family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET

    try:
        server = Server((settings.host, settings.metrics_port), _handler(settings))
    except OSError as err:
        raise ConfigError(f"CRISIS_METRICS_PORT={settings.metrics_port}: cannot listen on "
                          f"{settings.host}:{settings.metrics_port} ({err.strerror or err})"
                          ) from None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5},
                              name="metrics-port", daemon=True)
    thread.start()
    log.info("metrics served", extra={"url": f"http://{settings.host}:{settings.metrics_port}"
                                              "/metrics"})
    return MetricsServer(server, thread)
