"""What a build was made from, kept in the build, compared by the next build to find what changed.

Two files, because the two halves of the site change at very different rates:

    .manifest.json            the core: configuration, crises, publications, topics, their
                              pages (a few dozen); read by every incremental build
    .manifest-knowledge.json  the knowledge section: every article's version and page
                              (tens of thousands of entries); named by the articles' digest
                              in the core file, so a build whose articles did not change
                              never decodes it: it is carried over as a hard link

Both are dot files: nginx, aiohttp and rsync leave them out of the public site.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar

import msgspec

log = logging.getLogger(__name__)

MANIFEST = ".manifest.json"
KNOWLEDGE_MANIFEST = ".manifest-knowledge.json"
# Part of the build fingerprint: a build made with another layout is never diffed against.
FORMAT = "2"

T = TypeVar("T")


class Manifest(msgspec.Struct):
    """The core half, plus which knowledge section (by digest and size) the build holds."""

    config: str
    knowledge: str
    knowledge_pages: int
    versions: dict[str, str]
    pages: dict[str, frozenset[str]]


class KnowledgeManifest(msgspec.Struct):
    """The knowledge half: article versions and the pages of the shard directories."""

    digest: str
    versions: dict[str, str]
    pages: dict[str, frozenset[str]]


def read_manifest(build: Path | None) -> Manifest | None:
    """The core manifest of `build`; None when absent or unreadable (then: a full build)."""
    return _read(build, MANIFEST, Manifest)


def read_knowledge(build: Path | None, digest: str) -> KnowledgeManifest | None:
    """The knowledge manifest of `build` if it is the one its core manifest names, else None."""
    found = _read(build, KNOWLEDGE_MANIFEST, KnowledgeManifest)
    if found is not None and found.digest != digest:
        log.warning("knowledge manifest does not match its build", extra={"build": str(build)})
        return None
    return found


def write_manifests(build_dir: Path, core: Manifest, knowledge: KnowledgeManifest | None) -> None:
    """Write the core manifest, and the knowledge one unless the cloned copy is still right.

    Replaced, not rewritten: the old files are hard links shared with the live build.
    """
    if knowledge is not None:
        _replace(build_dir / KNOWLEDGE_MANIFEST, msgspec.json.encode(knowledge))
    _replace(build_dir / MANIFEST, msgspec.json.encode(core))


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f"{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def _read(build: Path | None, name: str, kind: type[T]) -> T | None:
    if build is None:
        return None
    try:
        return msgspec.json.decode((build / name).read_bytes(), type=kind)
    except FileNotFoundError:
        return None
    except msgspec.DecodeError:  # also an older layout (a missing field): rebuild in full
        log.warning("unreadable manifest; doing a full build", extra={"build": str(build / name)})
        return None
