"""Running builds for the centre: load the live data, build, record, push, roll back.

This is the process edge of the site: a build that fails for any reason is logged, counted
and recorded for the cell, and the previous site stays online.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from crisis.events import EventBus
from crisis.keys import Keys
from crisis.types import utcnow
from knowledge_base import KnowledgeBase
from static_site.builder import build_site_files
from static_site.dark_site import dark_build
from static_site.model import SiteConfig
from static_site.publish import rollback
from static_site.records import BuildRecord, save_record
from static_site.source import load_site_data
from static_site.targets import list_targets, push_site

log = logging.getLogger(__name__)


def config_to_args(config: SiteConfig) -> dict[str, Any]:
    """The configuration as plain JSON-able values, to pass to an RQ job."""
    return dataclasses.asdict(config)


def config_from_args(values: dict[str, Any]) -> SiteConfig:
    return SiteConfig(**{**values, "langs": tuple(values.get("langs", ("fr", "en")))})


async def run_build(
    redis: aioredis.Redis, keys: Keys, config: SiteConfig, site_dir: Path, *, kb: KnowledgeBase,
    trigger: str, full: bool = False, scenario: str | None = None,
) -> BuildRecord:
    """Build and publish (the articles from `kb`); never raises for a failed build, returns
    (and stores) its record."""
    started = time.perf_counter()
    at = utcnow()
    try:
        data = await load_site_data(redis, keys, EventBus(redis, keys), kb)
        base = dark_build(site_dir, scenario) if scenario else None
        report = await asyncio.to_thread(build_site_files, data, config, site_dir,
                                         full=full, base=base)
        pushes = await push_site(site_dir, await list_targets(redis, keys))
        record = BuildRecord(
            id=report.build_id, at=at, trigger=trigger,
            kind="dark" if base else report.kind, ok=True,
            seconds=round(time.perf_counter() - started, 4), pages_changed=report.pages,
            pages_removed=report.removed, pages_total=report.total_pages, pushes=pushes)
        log.info("site published", extra={"build": report.build_id, "trigger": trigger,
                                           "pages": report.pages, "seconds": record.seconds})
    except Exception as err:  # the build's process edge: report it, keep the old site
        log.exception("site build failed", extra={"trigger": trigger})
        record = BuildRecord(id=f"failed-{at:%Y%m%dT%H%M%S%f}", at=at, trigger=trigger,
                             kind="full" if full else "incremental", ok=False,
                             seconds=round(time.perf_counter() - started, 4),
                             error=f"{type(err).__name__}: {err}"[:2000])
    await save_record(redis, keys, record)
    return record


async def run_rollback(redis: aioredis.Redis, keys: Keys, site_dir: Path, *,
                       build_id: str | None = None, actor: str = "") -> BuildRecord:
    """Switch back to an older build (NotFound/InvalidInput when impossible) and record it."""
    started = time.perf_counter()
    target = await asyncio.to_thread(rollback, site_dir, build_id)
    pushes = await push_site(site_dir, await list_targets(redis, keys))
    record = BuildRecord(id=target.name, at=utcnow(), trigger=f"rollback by {actor}".strip(),
                         kind="rollback", ok=True, seconds=round(time.perf_counter() - started, 4),
                         pushes=pushes)
    await save_record(redis, keys, record)
    return record
