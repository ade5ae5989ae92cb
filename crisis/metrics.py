"""Prometheus metrics of the core, and the /metrics exposition (multiprocess-safe).

Under `crisis up` every process writes its samples to PROMETHEUS_MULTIPROC_DIR (set by the
supervisor before the children start, as prometheus-client requires), and /metrics in any
web process aggregates all of them.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.multiprocess import MultiProcessCollector

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


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, f"{status // 100}xx").inc()
    HTTP_SECONDS.labels(route).observe(seconds)


def exposition(multiprocess_dir: Path | None) -> tuple[bytes, str]:
    """The text format for /metrics: every process's samples when running multiprocess."""
    if multiprocess_dir is None:
        return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
