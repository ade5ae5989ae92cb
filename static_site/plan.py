"""What a build must render and delete, from the data and the base build's manifests.

The site is planned in two sections (static_site.manifest): the core (crises, publications,
feeds: a few dozen pages) is always diffed; the knowledge section (thousands of article and
topic pages, the shard directories) is diffed only when the articles' digest moved. When it
did not, none of its pages is listed, versioned or read again: the base build's shards and
knowledge manifest are carried over as they are.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from static_site.manifest import (
    FORMAT, KnowledgeManifest, Manifest, read_knowledge, read_manifest,
)
from static_site.model import SiteConfig, SiteData
from static_site.pages import (
    Page, changed_nodes, core_pages, core_versions, dirty_pages, knowledge_pages, shard_dirs,
)


@dataclasses.dataclass(frozen=True)
class BuildPlan:
    """The pages to render, the paths to delete and the manifests of the new build.

    `knowledge` is None when the base build's knowledge manifest stays valid as it is.
    """

    render: list[Page]
    delete: set[str]
    changed: set[str]
    manifest: Manifest
    knowledge: KnowledgeManifest | None
    incremental: bool

    @property
    def total_pages(self) -> int:
        return len(self.manifest.pages) + self.manifest.knowledge_pages

    @property
    def touched(self) -> set[str]:
        return {p.path for p in self.render} | self.delete


def build_fingerprint(config: SiteConfig, templates: str) -> str:
    """Changes with the configuration, the templates or the build layout: then a full build."""
    return f"{FORMAT}-{config.fingerprint()}-{templates}"


def plan_build(data: SiteData, config: SiteConfig, base: Path | None, fingerprint: str, *,
               full: bool = False) -> BuildPlan:
    """Diff `data` against the manifests of `base`; everything when there is nothing to diff."""
    old = None if full else read_manifest(base)
    if old is not None and (old.config != fingerprint or not _shards_intact(base, config)):
        old = None
    digest = data.knowledge_digest
    old_knowledge = None
    if old is not None and old.knowledge != digest:
        old_knowledge = read_knowledge(base, old.knowledge)
        if old_knowledge is None:  # the knowledge section cannot be diffed: rebuild it all
            old = None
    core = list(core_pages(data, config))
    versions = core_versions(data)
    core_map = {p.path: p.nodes for p in core}
    if old is None:
        return _everything(data, config, core, versions, fingerprint, digest)
    changed = changed_nodes(old.versions, versions)
    render, delete = dirty_pages(core, old.pages, changed)
    if old_knowledge is None:  # same articles: same knowledge pages, same topic versions
        manifest = Manifest(fingerprint, digest, old.knowledge_pages, versions, core_map)
        return BuildPlan(render, delete, changed, manifest, None, True)
    pages = list(knowledge_pages(data, config))
    article_versions = data.article_versions()
    changed |= changed_nodes(old_knowledge.versions, article_versions)
    more, gone = dirty_pages(pages, old_knowledge.pages, changed)
    knowledge = KnowledgeManifest(digest, article_versions, {p.path: p.nodes for p in pages})
    manifest = Manifest(fingerprint, digest, len(pages), versions, core_map)
    return BuildPlan(render + more, delete | gone, changed, manifest, knowledge, True)


def _shards_intact(base: Path | None, config: SiteConfig) -> bool:
    """Whether every shard link of `base` leads to a directory (one may have been deleted by
    hand): carrying over a section whose files are gone would publish an empty one."""
    return base is not None and all((base / shard).is_dir() for shard in shard_dirs(config))


def _everything(data: SiteData, config: SiteConfig, core: list[Page], versions: dict[str, str],
                fingerprint: str, digest: str) -> BuildPlan:
    pages = list(knowledge_pages(data, config))
    article_versions = data.article_versions()
    knowledge = KnowledgeManifest(digest, article_versions, {p.path: p.nodes for p in pages})
    manifest = Manifest(fingerprint, digest, len(pages), versions, {p.path: p.nodes for p in core})
    return BuildPlan(core + pages, set(), set(versions) | set(article_versions), manifest,
                     knowledge, False)
