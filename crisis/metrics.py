"""Prometheus metrics of the core, and the /metrics exposition (multiprocess-safe).

Under `crisis up` every process writes its samples to PROMETHEUS_MULTIPROC_DIR (set by the
supervisor before the children start, as prometheus-client requires), and /metrics in any
web process aggregates all of them. A worker or events process in its own container has its
own directory, which no web process reads: CRISIS_METRICS_PORT makes it serve its own
(crisis/metrics_port.py), under the same access rule (`scrape_refusal`).
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.multiprocess import MultiProcessCollector

from crisis.settings import Secret

HTTP_REQUESTS = Counter(
    "crisis_http_requests_total", "HTTP requests answered, by route and status class.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "crisis_http_request_seconds", "Time to answer an HTTP request, by route.",
    ["route"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_HANDLED = Counter(
    "crisis_events_handled_total", "Events handled by a subscriber group.", ["group", "type"],
)
INBOUND_REFUSED_BACKLOG = Counter(
    "crisis_inbound_refused_backlog_total", "Citizens' messages refused (503, the provider or "
    "the chat widget tries again) because the pipeline's backlog was at its bound "
    "(crisis/events.py CONVERSATION_BACKLOG_LIMIT), by channel.", ["channel"],
)
EVENTS_FLOOR_RETURNS = Counter(
    "crisis_events_floor_returns_total", "Times an events process's pipeline, starved in the "
    "idle scheduling class, was put back in the normal class to get its floor "
    "(CRISIS_EVENTS_CPU_FLOOR, crisis/idle_class.py): the machine's CPU was saturated by "
    "other processes for seconds.",
)
# --- background jobs (crisis/worker.py) ---
JOBS = Counter(
    "crisis_jobs_total", "Background job runs a worker finished, by queue and outcome (done, "
    "failed: a failed attempt, retried or not).", ["queue", "outcome"],
)

# --- the second look at citizens' questions (channels/second_look_consumer.py) ---
SECOND_LOOKS = Counter(
    "crisis_kb_second_looks_total",
    "Second looks at citizens' questions whose top article is bare, by outcome: asked, "
    "dropped-backlog (too many waiting), dropped-old (read too late), answered, declined (not "
    "sure enough), too-late (an operator or a newer message came first), unavailable (no "
    "embeddings in the worker yet), failed.", ["outcome"],
)
SECOND_LOOK_SECONDS = Histogram(
    "crisis_kb_second_look_seconds",
    "Time of one second look (the question's embedding, the fusion and the decision).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# --- alerts (channels/alerts/) ---
BROADCAST_MESSAGES = Counter(
    "crisis_broadcast_messages_total",
    "Alert messages of broadcasts, by channel and outcome (sent, failed, unknown).",
    ["channel", "outcome"],
)

# --- telephone (channels/voice/) ---
CALL_WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
CALLS = Counter("crisis_calls_total", "Calls the IVR answered, by direction (inbound, callback).",
                ["direction"])
CALLS_ABANDONED = Counter("crisis_calls_abandoned_total",
                          "Callers who hung up while waiting in a queue for a person.")
CALL_ABANDONED_WAIT = Histogram("crisis_call_abandoned_wait_seconds",
                                "How long a caller who hung up had waited in the queue.",
                                buckets=CALL_WAIT_BUCKETS)
CALL_WAIT = Histogram("crisis_call_wait_seconds",
                      "Time in the queue before an operator took the call.",
                      buckets=CALL_WAIT_BUCKETS)
CALL_TALK = Histogram("crisis_call_talk_seconds", "Talk time between caller and operator.",
                      buckets=CALL_WAIT_BUCKETS)
CALLBACKS = Counter("crisis_callbacks_total",
                    "Callbacks, by outcome (requested, placed, answered, failed).", ["outcome"])
# --- end of telephone ---


# The labelled series of each (method, route, status class), looked up once: `labels()` takes
# a lock and builds its key on every call, a few per cent of a webhook's CPU. Bounded: a
# client may send any method name.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_REQUEST_SERIES_MAX = 1_000


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status // 100)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        if len(_REQUEST_SERIES) >= _REQUEST_SERIES_MAX:
            _REQUEST_SERIES.clear()
        series = _REQUEST_SERIES[key] = (HTTP_REQUESTS.labels(method, route, f"{key[2]}xx"),
                                         HTTP_SECONDS.labels(route))
    series[0].inc()
    series[1].observe(seconds)


def loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def scrape_refusal(token: Secret | None, authorization: str, remote: str | None
                   ) -> tuple[int, str] | None:
    """Why a scrape is refused (status, plain-text reason), or None when it may read.

    With CRISIS_METRICS_TOKEN set: `Authorization: Bearer <token>`, compared in constant
    time, from anywhere. Without: clients on this machine only (queue sizes and rates tell
    an attacker how stretched the centre is)."""
    if token is not None:
        if not hmac.compare_digest(authorization.encode("utf-8", "replace"),
                                   f"Bearer {token.reveal()}".encode()):
            return 401, "send the metrics token: Authorization: Bearer $CRISIS_METRICS_TOKEN\n"
        return None
    if not loopback(remote):
        return 403, ("metrics are served to this machine only; set CRISIS_METRICS_TOKEN to let "
                     "a Prometheus elsewhere scrape them with that bearer token\n")
    return None


def exposition(multiprocess_dir: Path | None) -> tuple[bytes, str]:
    """The text format for /metrics: every process's samples when running multiprocess."""
    if multiprocess_dir is None:
        return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
