"""Writes site files safely: inside the build only, atomically, with .gz and .br twins."""

from __future__ import annotations

import gzip
import os
from pathlib import Path, PurePosixPath

import brotli

from crisis.errors import InvalidInput

COMPRESSIBLE = frozenset({".html", ".css", ".xml", ".json", ".txt", ".svg", ".js"})
# Quality 6 costs about a millisecond for a 12 KB page and is within 10 % of quality 11:
# thousands of pages per build matter more than the last few hundred bytes.
BROTLI_QUALITY = 6
GZIP_LEVEL = 9


class UnsafePath(InvalidInput):
    """A page path that would leave the site directory; the page is not written."""


def check_relative(relative: str) -> PurePosixPath:
    """`relative` as a clean relative path; UnsafePath for '..', absolute or odd segments."""
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(
            part in ("", ".", "..") or part.startswith(".") or "\\" in part or "\x00" in part for part in path.parts):
        raise UnsafePath(f"refusing to write {relative!r} outside the site")
    return path


def target_in(root: Path, relative: str) -> Path:
    """The file `relative` under `root`, refusing anything that resolves outside it."""
    path = root / check_relative(relative)
    base = os.path.realpath(root)
    parent = os.path.realpath(path.parent)
    if parent != base and not parent.startswith(base + os.sep):
        raise UnsafePath(f"refusing to write {relative!r}: it resolves outside {root}")
    return path


def write_file(root: Path, relative: str, data: bytes) -> int:
    """Write `data` (and its compressed twins) under `root`; returns the bytes written.

    Each file goes to a temporary name and is renamed over the old one, so a hard link
    shared with a previous build is replaced, never modified in place.
    """
    path = target_in(root, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = _replace(path, data)
    if path.suffix in COMPRESSIBLE:
        written += _replace(path.with_name(path.name + ".gz"), gzip.compress(data, GZIP_LEVEL, mtime=0))
        written += _replace(path.with_name(path.name + ".br"),
                            brotli.compress(data, quality=BROTLI_QUALITY))
    return written


def remove_file(root: Path, relative: str) -> None:
    """Delete a page and its twins (a withdrawn publication's page disappears)."""
    path = target_in(root, relative)
    for candidate in (path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")):
        candidate.unlink(missing_ok=True)
    folder = path.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # an empty directory would still answer its URL with a listing or 403
        folder = folder.parent


def _replace(path: Path, data: bytes) -> int:
    # Nothing in a build is visible before the switch; only an existing file may be a hard
    # link shared with a published build, so only that one needs the rename.
    if not path.exists():
        path.write_bytes(data)
        return len(data)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return len(data)
