"""Build records (Redis, shown on the cell's pages) and the site's Prometheus metrics.

| key (after the prefix)  | type | lifetime                             |
|-------------------------|------|--------------------------------------|
| site:builds             | list | newest first, trimmed to 100 records |
| site:targets            | set  | forever (rsync destinations)         |
| site:build-pending      | str  | until a build job starts (600 s TTL) |
"""

from __future__ import annotations

import datetime as dt

import msgspec
import redis.asyncio as aioredis
from prometheus_client import Counter, Gauge, Histogram

from crisis.keys import Keys

KEEP_RECORDS = 100

SITE_BUILDS = Counter(
    "crisis_site_builds_total", "Site builds, by kind (full, incremental, dark, rollback) and outcome.",
    ["kind", "outcome"])
SITE_BUILD_SECONDS = Histogram(
    "crisis_site_build_seconds", "Time from the start of a site build to the switch, by kind.",
    ["kind"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
SITE_LAST_BUILD_OK = Gauge(
    "crisis_site_last_build_ok", "1 if the last site build published, 0 if it failed.",
    multiprocess_mode="mostrecent")
SITE_LAST_SUCCESS = Gauge(
    "crisis_site_last_success_timestamp_seconds", "When the site was last published (Unix time).",
    multiprocess_mode="mostrecent")


class BuildRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One build as the cell sees it: when, why, how long, what changed, what went wrong."""

    id: str
    at: dt.datetime
    trigger: str
    kind: str
    ok: bool
    seconds: float
    pages_changed: int = 0
    pages_removed: int = 0
    pages_total: int = 0
    error: str = ""
    pushes: dict[str, str] = {}


def builds_key(keys: Keys) -> str:
    return keys.scoped("site", "builds")


def targets_key(keys: Keys) -> str:
    return keys.scoped("site", "targets")


def pending_key(keys: Keys) -> str:
    return keys.scoped("site", "build-pending")


def observe(record: BuildRecord) -> None:
    SITE_BUILDS.labels(record.kind, "ok" if record.ok else "failed").inc()
    SITE_BUILD_SECONDS.labels(record.kind).observe(record.seconds)
    SITE_LAST_BUILD_OK.set(1 if record.ok else 0)
    if record.ok:
        SITE_LAST_SUCCESS.set(record.at.timestamp())


async def save_record(redis: aioredis.Redis, keys: Keys, record: BuildRecord) -> None:
    """Keep the record for the cell's builds page and update the metrics."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(builds_key(keys), msgspec.json.encode(record))
        pipe.ltrim(builds_key(keys), 0, KEEP_RECORDS - 1)
        await pipe.execute()
    observe(record)


async def recent_records(redis: aioredis.Redis, keys: Keys, limit: int = 30) -> list[BuildRecord]:
    raws = await redis.lrange(builds_key(keys), 0, limit - 1)
    return [msgspec.json.decode(r, type=BuildRecord) for r in raws]
