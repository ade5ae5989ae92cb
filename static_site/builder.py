"""Builds the static site from live crises and publications and publishes it atomically.

The site is written to a fresh directory under `<site>.builds/`, then the `<site>` symlink
is swapped to it in one rename: a reader sees the old site or the new one, never half of one.
The last KEEP_BUILDS builds stay on disk for rollback.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import time
from pathlib import Path

import jinja2
import redis.asyncio as aioredis

from crisis.crises import Crises
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.publications import Publications
from crisis.scenarios import get_scenario
from crisis.types import utcnow

KEEP_BUILDS = 5
COMPRESSIBLE = (".html", ".css", ".xml", ".json", ".txt", ".svg", ".js")

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("static_site", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
    trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
)


@dataclasses.dataclass(frozen=True)
class BuildReport:
    directory: Path
    pages: int
    seconds: float


def write_page(root: Path, relative: str, content: str) -> None:
    """Write one file and its gzip twin (nginx gzip_static serves it without recompressing)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8")
    path.write_bytes(data)
    if path.suffix in COMPRESSIBLE:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))


def publish_directory(build_dir: Path, site_dir: Path) -> None:
    """Point `site_dir` (a symlink) at `build_dir` atomically; prune old builds."""
    if site_dir.exists() and not site_dir.is_symlink():
        raise RuntimeError(f"{site_dir} is a real directory; move it away so it can be a symlink")
    temporary = site_dir.with_name(site_dir.name + ".swap")
    if temporary.is_symlink():
        temporary.unlink()
    # Relative, so the data dir can be moved or synced without breaking the link.
    temporary.symlink_to(os.path.relpath(build_dir, site_dir.parent))
    os.replace(temporary, site_dir)
    builds = sorted(p for p in build_dir.parent.iterdir() if p.is_dir())
    for old in builds[:-KEEP_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)


async def build_site(redis: aioredis.Redis, keys: Keys, bus: EventBus, site_dir: Path) -> BuildReport:
    """Render every page from the live data into a new build and publish it."""
    started = time.perf_counter()
    crises = await Crises(redis, keys, bus).list_live()
    publications = await Publications(redis, keys, bus).list_live()
    builds = site_dir.parent / (site_dir.name + ".builds")
    build_dir = builds / f"{utcnow():%Y%m%dT%H%M%S%f}"
    build_dir.mkdir(parents=True)
    by_crisis = {c.id: [p for p in publications if p.crisis_id == c.id] for c in crises}
    scenarios = {c.id: get_scenario(c.scenario_id) for c in crises}
    common = {"built_at": utcnow(), "crises": crises, "scenarios": scenarios}
    write_page(build_dir, "index.html", _env.get_template("index.html").render(
        **common, publications=publications, by_crisis=by_crisis))
    pages = 1
    for crisis in crises:
        write_page(build_dir, f"crises/{crisis.id}/index.html",
                   _env.get_template("crisis.html").render(
                       **common, crisis=crisis, publications=by_crisis[crisis.id]))
        pages += 1
    publish_directory(build_dir, site_dir)
    return BuildReport(build_dir, pages, time.perf_counter() - started)
