"""Builds the site from one data snapshot and publishes it atomically, fully or incrementally.

A build goes to a fresh directory (a reader sees the old site or the new one, never half of
one). Incremental: the previous build is hard-linked into the new one, then only the pages
whose inputs changed (static_site.plan over the graph of static_site.pages) are rendered;
untouched shards (the knowledge section) are shared by symlink. A change of template,
stylesheet or configuration forces a full build.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from crisis.errors import BuildFailed
from static_site.favicon import favicon_ico, favicon_svg
from static_site.manifest import write_manifests
from static_site.markup import forget_rendered
from static_site.model import SiteConfig, SiteData
from static_site.pages import Page, shard_dirs
from static_site.plan import build_fingerprint, plan_build
from static_site.publish import (
    builds_dir, clone_tree, link_shard, live_build, new_build_id, prune, shards_dir, site_lock,
    switch_to,
)
from static_site.render import render_page, scripts, stylesheets, templates_fingerprint
from static_site.writer import remove_file, write_file

# Below this many pages (an incremental publish) threads cost more than they save.
PARALLEL_WRITE_FROM = 64
WRITE_THREADS = 3
WRITES_IN_FLIGHT = 64

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BuildReport:
    build_id: str
    directory: Path
    kind: str
    pages: int
    removed: int
    total_pages: int
    seconds: float
    changed: tuple[str, ...] = ()
    # time.perf_counter() at the atomic switch (what readers see); pruning comes after.
    switched_at: float = 0.0


def build_site_files(data: SiteData, config: SiteConfig, site_dir: Path, *,
                     full: bool = False, base: Path | None = None) -> BuildReport:
    """Render what changed since the live build (or since `base`, a dark site) and switch.

    BuildFailed if anything goes wrong before the switch; the site then stays as it was.
    Old builds are pruned after the switch: a failure there is logged, the site is online.
    """
    with site_lock(site_dir):
        build_dir = builds_dir(site_dir) / new_build_id()
        report = render_build(data, config, site_dir, build_dir,
                              base=base or live_build(site_dir), full=full)
        try:
            switch_to(build_dir, site_dir)
        except Exception as err:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise BuildFailed(f"{type(err).__name__}: {err}") from err
        switched_at = time.perf_counter()
        try:
            prune(site_dir)
        except OSError:
            log.exception("pruning old builds failed; the new build is online",
                          extra={"build": build_dir.name})
    return dataclasses.replace(report, switched_at=switched_at)


def render_build(data: SiteData, config: SiteConfig, site_dir: Path, build_dir: Path, *,
                 base: Path | None, full: bool = False) -> BuildReport:
    """Write a complete build into `build_dir` (not published), reusing `base` when it can."""
    started = time.perf_counter()
    forget_rendered()
    try:
        plan = plan_build(data, config, base, build_fingerprint(config, templates_fingerprint()),
                          full=full)
        roots = _prepare(build_dir, site_dir, base if plan.incremental else None, config,
                         plan.touched)
        _write_pages(plan.render, plan.delete, data, config, build_dir, roots)
        write_manifests(build_dir, plan.manifest, plan.knowledge)
    except Exception as err:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise BuildFailed(f"{type(err).__name__}: {err}") from err
    return BuildReport(build_dir.name, build_dir, "incremental" if plan.incremental else "full",
                       len(plan.render), len(plan.delete), plan.total_pages,
                       time.perf_counter() - started, tuple(sorted(plan.changed))[:50])


def _prepare(build_dir: Path, site_dir: Path, previous: Path | None, config: SiteConfig,
             touched: set[str]) -> dict[str, Path]:
    """Create the new build (cloned from `previous` when incremental); shard dir per prefix.

    A shard with a touched page is copied (hard links) to a new shard directory; the others
    are linked as they are. A shard inside another one (en/articles inside en) is linked
    from the outer shard's directory, which is only ever modified when it is a fresh copy.
    """
    shards = shard_dirs(config)
    build_dir.mkdir(parents=True)
    if previous is not None:
        clone_tree(previous, build_dir, skip=frozenset(shards))
    roots: dict[str, Path] = {}
    fresh: set[str] = set()
    for shard in shards:
        outer = next((o for o in roots if shard.startswith(o + "/")), None)
        if outer is not None and outer not in fresh:
            # The outer shard is shared as it is; so is everything inside it (a touched page
            # in here would have made the outer one fresh).
            roots[shard] = (roots[outer] / shard[len(outer) + 1:]).resolve()
            continue
        old = (previous / shard).resolve() if previous is not None else None
        dirty = old is None or not old.is_dir() or any(p.startswith(shard + "/") for p in touched)
        target = old if old is not None and not dirty else _fresh_shard(site_dir, build_dir, shard, old)
        if dirty:
            fresh.add(shard)
        parent, relative = (roots[outer], shard[len(outer) + 1:]) if outer else (build_dir, shard)
        if (parent / relative).is_symlink():  # cloned with its outer shard: keep or replace
            if not dirty:
                roots[shard] = target
                continue
            (parent / relative).unlink()
        link_shard(parent, relative, target)
        roots[shard] = target
    return roots


def _fresh_shard(site_dir: Path, build_dir: Path, shard: str, old: Path | None) -> Path:
    target = shards_dir(site_dir) / f"{shard.replace('/', '-')}-{build_dir.name}"
    if old is not None and old.is_dir():
        clone_tree(old, target)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _write_pages(to_render: Sequence[Page], to_delete: set[str], data: SiteData,
                 config: SiteConfig, build_dir: Path, roots: dict[str, Path]) -> None:
    _, full_css, css_path = stylesheets()
    alerts_path, alerts_js, service_worker = scripts()
    for path, content in ((css_path, full_css.encode()), ("favicon.svg", favicon_svg()),
                          ("favicon.ico", favicon_ico()), (alerts_path, alerts_js.encode()),
                          ("sw.js", service_worker)):
        if not (build_dir / path).exists():  # an incremental build has them from its base
            write_file(build_dir, path, content)
    for path in to_delete:
        root, relative = _root_for(path, build_dir, roots)
        remove_file(root, relative)
    if len(to_render) < PARALLEL_WRITE_FROM:
        for page in to_render:
            root, relative = _root_for(page.path, build_dir, roots)
            write_file(root, relative, render_page(page, data, config).encode("utf-8"))
        return
    # Rendering holds the GIL; compressing and creating files mostly do not (zlib, brotli and
    # the file system calls release it). Writers in threads overlap the two, which halves a
    # full build on disks where creating a file costs most of a millisecond. The in-flight
    # bound keeps memory flat whatever the site's size; .result() re-raises a writer's error.
    pending: deque[Future[int]] = deque()
    with ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="site-write") as pool:
        for page in to_render:
            root, relative = _root_for(page.path, build_dir, roots)
            html = render_page(page, data, config).encode("utf-8")
            pending.append(pool.submit(write_file, root, relative, html))
            while len(pending) > WRITES_IN_FLIGHT:
                pending.popleft().result()
        while pending:
            pending.popleft().result()


def _root_for(path: str, build_dir: Path, roots: dict[str, Path]) -> tuple[Path, str]:
    """The directory a page is written in: its innermost shard's, else the build's."""
    for shard in sorted(roots, key=len, reverse=True):
        if path.startswith(shard + "/"):
            return roots[shard], path[len(shard) + 1:]
    return build_dir, path
