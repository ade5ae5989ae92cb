"""Gauges read from Redis when Prometheus scrapes: what the whole centre is doing now.

Counters and histograms are kept per process (crisis/metrics.py). A figure such as "how many
citizens wait" or "how far behind is the event stream" belongs to the centre, not to one
process: every web process reads the same values from Redis at scrape time, so it does not
matter which one Prometheus reaches through the load balancer. The alert rules in
deploy/prometheus/ are written against these names (docs/operations.md has their runbook).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import redis.exceptions
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from crisis.audit import AUDIT_MAXLEN
from crisis.context import Context
from crisis.events import CONVERSATION_BACKLOG_LIMIT
from crisis.heartbeat import EVENTS_KIND, alive
from crisis.stream_ids import stream_id_seconds

log = logging.getLogger(__name__)

PROCESS_KINDS = ("web", "worker", EVENTS_KIND)


def _gauge(name: str, doc: str, value: float | None,
           labels: Mapping[str, str] | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    if value is not None:
        family.add_metric(list((labels or {}).values()), value)
    return family


async def _stream_gauges(ctx: Context) -> list[GaugeMetricFamily]:
    # Lag as an age, not a count: the time of the oldest event a group has not been handed
    # yet (stream ids are times). It works on Redis 6.2 (the embedded server has no XINFO
    # lag) and it is what an alert wants: "citizens' messages are N seconds behind".
    lag = GaugeMetricFamily("crisis_events_lag_seconds", "Age of the oldest event not yet "
                            "delivered to a subscriber group (0: it is up to date).",
                            labels=["group"])
    pending = GaugeMetricFamily("crisis_events_pending", "Events delivered to a subscriber group "
                                "and not yet acknowledged.", labels=["group"])
    dead = GaugeMetricFamily("crisis_events_dead_letters", "Events a subscriber group kept "
                             "failing on, set aside for a person to read.", labels=["group"])
    # A group may read both streams (crisis/events.py): its lag is the older of the two, its
    # pending the sum.
    ages: dict[str, float] = {}
    pendings: dict[str, float] = {}
    now_ms = time.time() * 1000
    for stream in ctx.bus.streams:
        try:
            groups = await ctx.redis.xinfo_groups(stream)
        except redis.exceptions.ResponseError:  # no stream yet: nothing has happened
            groups = []
        for group in groups:
            name = str(group["name"])
            last = str(group["last-delivered-id"])
            oldest = await ctx.redis.xrange(stream, min=f"({last}", count=1)
            age = max(0.0, now_ms / 1000 - stream_id_seconds(oldest[0][0])) if oldest else 0.0
            ages[name] = max(ages.get(name, 0.0), age)
            pendings[name] = pendings.get(name, 0.0) + float(group.get("pending") or 0)
    for name, age in ages.items():
        lag.add_metric([name], round(age, 3))
        pending.add_metric([name], pendings[name])
        dead.add_metric([name], float(await ctx.redis.xlen(ctx.keys.dead_letters(name))))
    backlog = _gauge("crisis_events_conversations_backlog", "Events of the conversations' "
                     "stream some group has not read or acknowledged yet.",
                     float(await ctx.bus.conversation_backlog()))
    bound = _gauge("crisis_events_conversations_backlog_limit", "The backlog at which citizens' "
                   "messages are refused (503, tried again later).",
                   float(CONVERSATION_BACKLOG_LIMIT))
    return [lag, pending, dead, backlog, bound]


async def _audit(ctx: Context) -> list[GaugeMetricFamily]:
    """The audit trail against its cap and its archive (crisis/audit_archive.py): entries
    trimmed before any archive held them are lost for an inquiry."""
    async with ctx.redis.pipeline(transaction=False) as pipe:  # one round trip a scrape
        pipe.xlen(ctx.keys.audit)
        pipe.xrange(ctx.keys.audit, count=1)
        pipe.xrevrange(ctx.keys.audit, count=1)
        pipe.get(ctx.keys.audit_archived)
        held, oldest, newest, archived = await pipe.execute()
    return [
        _gauge("crisis_audit_entries", "Entries the audit trail holds in Redis.", float(held)),
        _gauge("crisis_audit_entries_limit", "The trail's cap: past it Redis trims the oldest.",
               float(AUDIT_MAXLEN)),
        _gauge("crisis_audit_oldest_entry_timestamp_seconds", "Time of the oldest entry held "
               "(0: none).", stream_id_seconds(oldest[0][0]) if oldest else 0.0),
        _gauge("crisis_audit_newest_entry_timestamp_seconds", "Time of the newest entry "
               "(0: none).", stream_id_seconds(newest[0][0]) if newest else 0.0),
        _gauge("crisis_audit_archived_timestamp_seconds", "Time of the newest entry `crisis "
               "audit archive` has written to files (0: never archived).",
               stream_id_seconds(archived) if archived else 0.0),
    ]


async def _contact_centre(ctx: Context) -> list[GaugeMetricFamily]:
    """The contact centre's section of the situation view, as gauges (no import of channels:
    the section is contributed through ctx.add_situation)."""
    source: Callable[[], Awaitable[dict[str, Any]]] | None = ctx.situation.get("contact_centre")
    if source is None:
        return []
    section = await source()
    queue = section.get("queue") or {}
    return [
        _gauge("crisis_queue_length", "Conversations waiting for an operator.",
               float(queue.get("length") or 0)),
        _gauge("crisis_queue_oldest_wait_seconds", "How long the longest-waiting citizen has "
               "waited.", float(queue.get("oldest_wait_s") or 0)),
        _gauge("crisis_queue_estimated_wait_seconds", "The wait a citizen joining the queue now "
               "is told.", float(section.get("estimated_wait_s") or 0)),
        _gauge("crisis_operator_capacity_available", "Conversations the available operators "
               "can still take.", float(section.get("available_capacity") or 0)),
        _gauge("crisis_operators_signed_in", "Operators signed in to the console (any status).",
               float(section.get("operators_signed_in") or 0)),
    ]


async def _watch(ctx: Context) -> list[GaugeMetricFamily]:
    """The watch's intake stream, from its section of the situation view (as the contact
    centre's: no import of monitoring)."""
    source: Callable[[], Awaitable[dict[str, Any]]] | None = ctx.situation.get("watch")
    if source is None:
        return []
    intake = (await source()).get("intake") or {}
    return [
        _gauge("crisis_watch_signals_lag_seconds", "Age of the oldest signal of the watch's "
               "intake stream not yet handed to the normaliser (0: up to date).",
               float(intake.get("lag_s") or 0)),
        _gauge("crisis_watch_signals_stream_length", "Signals held in the watch's intake "
               "stream (bounded: the oldest are trimmed past its maximum length).",
               float(intake.get("length") or 0)),
        _gauge("crisis_watch_signals_pending", "Signals handed to the normaliser and not yet "
               "acknowledged.", float(intake.get("pending") or 0)),
        _gauge("crisis_watch_signals_normalised", "Signals normalised since the centre "
               "started keeping count.", float(intake.get("normalised") or 0)),
    ]


async def collect(ctx: Context) -> list[GaugeMetricFamily]:
    """Every live gauge; a part that fails is logged and left out, never the whole scrape."""
    families: list[GaugeMetricFamily] = []
    processes = GaugeMetricFamily("crisis_processes_alive", "Processes whose heartbeat is "
                                  "fresh, by kind (web, worker, events).", labels=["kind"])
    try:
        for kind in PROCESS_KINDS:
            processes.add_metric([kind], float(len(await alive(ctx.redis, ctx.keys, kind))))
        families.append(processes)
        memory = await ctx.redis.info("memory")
        families.append(_gauge("crisis_redis_used_memory_bytes", "Memory Redis uses.",
                               float(memory.get("used_memory", 0))))
        families.append(_gauge("crisis_redis_maxmemory_bytes", "Redis's memory limit (0: none).",
                               float(memory.get("maxmemory", 0))))
        families.append(_gauge("crisis_crises_live", "Crises active or de-escalated.",
                               float(len(await ctx.crises.list_live()))))
        families.extend(await _stream_gauges(ctx))
        families.extend(await _audit(ctx))
    except (redis.exceptions.RedisError, OSError):
        log.warning("live gauges: Redis unreachable", exc_info=True)
        families.append(_gauge("crisis_redis_up", "Redis answered the scrape.", 0.0))
        return families
    families.append(_gauge("crisis_redis_up", "Redis answered the scrape.", 1.0))
    try:
        families.extend(await _contact_centre(ctx))
    except Exception:  # a broken section must not blank the rest of the scrape
        log.warning("live gauges: contact centre section failed", exc_info=True)
    try:
        families.extend(await _watch(ctx))
    except Exception:  # likewise for the watch's section
        log.warning("live gauges: watch section failed", exc_info=True)
    return families


class _Fixed(Collector):
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def registry_of(families: list[GaugeMetricFamily]) -> CollectorRegistry:
    """A registry holding these already-read families, for generate_latest."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    return registry
