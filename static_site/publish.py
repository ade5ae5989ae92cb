"""Build directories on disk: clone, atomic switch, keep the last builds, roll back.

    <site>            symlink -> <site>.builds/<build-id>   (what nginx and aiohttp serve)
    <site>.builds/    one directory per build, newest last (names sort by time)
    <site>.shards/    big sections (other language roots, articles, themes) shared by builds through directory symlinks
    <site>.dark/      pre-rendered scenario sites (static_site.dark_site)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from crisis.errors import InvalidInput, NotFound
from crisis.types import utcnow
from static_site.pages import SHARDED

KEEP_BUILDS = 5


def builds_dir(site_dir: Path) -> Path:
    return site_dir.with_name(site_dir.name + ".builds")


def shards_dir(site_dir: Path) -> Path:
    return site_dir.with_name(site_dir.name + ".shards")


def new_build_id() -> str:
    return f"{utcnow():%Y%m%dT%H%M%S%f}"


@contextlib.contextmanager
def site_lock(site_dir: Path) -> Iterator[None]:
    """One build at a time per site, across processes (the CLI and the workers)."""
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(site_dir.with_name(site_dir.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def live_build(site_dir: Path) -> Path | None:
    """The build directory the site points at now, or None before the first build."""
    if not site_dir.is_symlink():
        return None
    target = (site_dir.parent / os.readlink(site_dir)).resolve()
    return target if target.is_dir() else None


def link_shard(build_dir: Path, relative: str, shard: Path) -> None:
    """Make `relative` inside the build a relative symlink to `shard`."""
    link = build_dir / relative
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(shard, link.parent))


def clone_tree(source: Path, target: Path, skip: frozenset[str] = frozenset()) -> None:
    """Hard-link every file of `source` into `target` (cheap); symlinks are copied as links.

    `skip` lists relative directories left out (the shards, linked separately).
    """
    os.makedirs(target, exist_ok=True)
    _clone_dir(os.fspath(source), os.fspath(target), "", skip)


def _clone_dir(source: str, target: str, relative: str, skip: frozenset[str]) -> None:
    # scandir's entry types come from the directory listing itself: no stat per file, which
    # is most of the cost of a clone on a busy disk (this runs before every switch).
    with os.scandir(source) as entries:
        for entry in entries:
            out = os.path.join(target, entry.name)
            inner = f"{relative}{entry.name}"
            if inner in skip:
                continue
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), out)
            elif entry.is_dir():
                os.mkdir(out)
                _clone_dir(entry.path, out, inner + "/", skip)
            else:
                os.link(entry.path, out)


def publish_directory(build_dir: Path, site_dir: Path) -> None:
    """Point `site_dir` (a symlink) at `build_dir` in one rename, then prune old builds."""
    switch_to(build_dir, site_dir)
    prune(site_dir)


def switch_to(build_dir: Path, site_dir: Path) -> None:
    """The atomic switch: `site_dir` (a symlink) points at `build_dir` after one rename."""
    if site_dir.exists() and not site_dir.is_symlink():
        raise InvalidInput(f"{site_dir} is a real directory; move it away so it can be a symlink")
    temporary = site_dir.with_name(site_dir.name + ".swap")
    if temporary.is_symlink():
        temporary.unlink()
    # Relative, so the data dir can be moved or synced without breaking the link.
    temporary.symlink_to(os.path.relpath(build_dir, site_dir.parent))
    os.replace(temporary, site_dir)


def list_builds(site_dir: Path) -> list[Path]:
    folder = builds_dir(site_dir)
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def prune(site_dir: Path, extra_roots: tuple[Path, ...] = ()) -> None:
    """Keep the newest KEEP_BUILDS builds (and the live one); drop shards nobody links to."""
    live = live_build(site_dir)
    builds = list_builds(site_dir)
    for old in builds[:-KEEP_BUILDS]:
        if old != live:
            remove_tree(old)
    shards = shards_dir(site_dir)
    if not shards.is_dir():
        return
    roots = [*list_builds(site_dir), *extra_roots]
    dark = site_dir.with_name(site_dir.name + ".dark")
    if dark.is_dir():
        roots += [p for p in dark.iterdir() if p.is_dir()]
    used = {link.resolve() for root in roots for link in _shard_links(root)}
    for shard in shards.iterdir():
        if shard.resolve() not in used:
            remove_tree(shard)


def remove_tree(path: Path) -> None:
    """Delete a build or a shard, best effort (what is left is retried at the next prune).

    Our own trees, written by one process under the site lock: a plain scandir walk, without
    shutil.rmtree's per-directory open/fstat guard, which doubles the system calls.
    """
    try:
        _remove_dir(os.fspath(path))
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _remove_dir(path: str) -> None:
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _remove_dir(entry.path)
            else:
                os.unlink(entry.path)
    os.rmdir(path)


def _shard_links(root: Path) -> Iterator[Path]:
    """The shard symlinks of a build: any link at its root (a language root or a knowledge
    directory), and the knowledge links inside each language root."""
    with os.scandir(root) as entries:
        top = [(Path(e.path), e.is_symlink()) for e in entries
               if e.is_symlink() or (e.is_dir() and len(e.name) == 2)]
    for path, is_link in top:
        if is_link:
            yield path
        if len(path.name) == 2 and path.is_dir():
            for name in SHARDED:
                if (path / name).is_symlink():
                    yield path / name


def rollback(site_dir: Path, build_id: str | None = None) -> Path:
    """Switch back to `build_id`, or to the build before the live one; returns it."""
    with site_lock(site_dir):
        builds = list_builds(site_dir)
        live = live_build(site_dir)
        if build_id is not None:
            target = next((b for b in builds if b.name == build_id), None)
            if target is None:
                raise NotFound(f"no build {build_id!r}; kept: {', '.join(b.name for b in builds)}")
        else:
            older = [b for b in builds if live is None or b.name < live.name]
            if not older:
                raise InvalidInput("there is no older build to roll back to")
            target = older[-1]
        publish_directory(target, site_dir)
        return target
