"""Planning in two sections: the knowledge section is diffed only when the articles changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pytest

from static_site.builder import BuildReport, build_site_files
from static_site.manifest import KNOWLEDGE_MANIFEST, MANIFEST, read_manifest
from static_site.model import SiteConfig, SiteData
from static_site.pages import core_pages, knowledge_pages
from static_site.plan import build_fingerprint, plan_build
from static_site.publish import live_build, rollback
from static_site.render import templates_fingerprint
from tests.static_site.conftest import NOW, demo_data


def _new_publication_version(data: SiteData, text: str) -> SiteData:
    pub = data.publications[0]
    newer = msgspec.structs.replace(pub, version=pub.version + 1, body=text)
    return SiteData.clean(data.crises, [newer, *data.publications[1:]], data.articles, NOW)


def _new_article_text(data: SiteData, text: str) -> SiteData:
    article = data.articles_in("fr")[0]
    changed = msgspec.structs.replace(article, answer=text)
    return SiteData.clean(data.crises, data.publications,
                          [changed if a is article else a for a in data.articles], NOW)


def test_a_publication_change_leaves_the_knowledge_section_alone(
        built: BuildReport, config: SiteConfig, site_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = live_build(site_dir)
    assert first is not None

    def never(self: SiteData) -> dict[str, str]:
        raise AssertionError("article versions computed although no article changed")

    monkeypatch.setattr(SiteData, "article_versions", never)
    report = build_site_files(_new_publication_version(demo_data(), "Consigne neuve."), config,
                              site_dir)
    assert report.kind == "incremental" and report.total_pages == built.total_pages
    assert "Consigne neuve." in (site_dir / "index.html").read_text()
    assert os.path.samefile(first / KNOWLEDGE_MANIFEST, site_dir / KNOWLEDGE_MANIFEST)
    for shard in ("articles", "themes", "en/articles", "en/themes"):
        assert (site_dir / shard).resolve() == (first / shard).resolve()


def test_an_article_change_renders_its_pages_and_rewrites_the_knowledge_manifest(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    first = live_build(site_dir)
    assert first is not None
    data = _new_article_text(demo_data(), "Réponse entièrement revue.")
    report = build_site_files(data, config, site_dir)
    article = data.articles_in("fr")[0]
    assert report.kind == "incremental" and 0 < report.pages < 20
    assert "Réponse entièrement revue." in (
        site_dir / f"articles/{article.id}/index.html").read_text()
    assert not os.path.samefile(first / KNOWLEDGE_MANIFEST, site_dir / KNOWLEDGE_MANIFEST)
    assert (site_dir / "articles").resolve() != (first / "articles").resolve()
    assert (site_dir / "en/articles").resolve() == (first / "en/articles").resolve()
    # The next build diffs against the new knowledge manifest: nothing left to render there.
    again = plan_build(data, config, live_build(site_dir),
                       build_fingerprint(config, templates_fingerprint()))
    assert again.knowledge is None and not any("articles/" in p.path for p in again.render)


def test_a_build_after_a_rollback_diffs_against_the_rolled_back_build(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    """Nothing is remembered outside the live build: after a rollback (by the cell, or by
    another process) the next build compares with what is really online."""
    newer = _new_publication_version(demo_data(), "Version deux.")
    build_site_files(newer, config, site_dir)
    rollback(site_dir)
    assert "Version deux." not in (site_dir / "index.html").read_text()
    build_site_files(newer, config, site_dir)
    assert "Version deux." in (site_dir / "index.html").read_text()

    edited = _new_article_text(newer, "Réponse deux.")
    build_site_files(edited, config, site_dir)
    rollback(site_dir)
    build_site_files(edited, config, site_dir)
    article = edited.articles_in("fr")[0]
    assert "Réponse deux." in (site_dir / f"articles/{article.id}/index.html").read_text()


def test_a_missing_or_foreign_knowledge_manifest_means_a_full_build(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    live = live_build(site_dir)
    assert live is not None
    (live / KNOWLEDGE_MANIFEST).unlink()
    report = build_site_files(_new_article_text(demo_data(), "Autre réponse."), config, site_dir)
    assert report.kind == "full" and report.pages == report.total_pages

    live = live_build(site_dir)
    assert live is not None
    manifest = read_manifest(live)
    assert manifest is not None
    foreign = msgspec.structs.replace(manifest, knowledge="0" * 32)
    (live / MANIFEST).unlink()  # a hard link shared with nothing else, but be safe
    (live / MANIFEST).write_bytes(msgspec.json.encode(foreign))
    report = build_site_files(demo_data(), config, site_dir)
    assert report.kind == "full"


def test_a_manifest_of_the_older_layout_means_a_full_build(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    live = live_build(site_dir)
    assert live is not None
    (live / MANIFEST).unlink()
    (live / MANIFEST).write_bytes(b'{"config": "x", "versions": {}, "pages": {}}')
    report = build_site_files(demo_data(), config, site_dir)
    assert report.kind == "full" and report.pages == report.total_pages


def test_the_knowledge_digest_follows_content_not_identity() -> None:
    data = demo_data()
    copy = SiteData.clean(data.crises, data.publications,
                          [msgspec.json.decode(msgspec.json.encode(a), type=type(a))
                           for a in data.articles], NOW)
    assert copy.knowledge_digest == data.knowledge_digest
    assert _new_article_text(data, "Changé.").knowledge_digest != data.knowledge_digest
    fewer = SiteData.clean(data.crises, data.publications, data.articles[1:], NOW)
    assert fewer.knowledge_digest != data.knowledge_digest


def test_the_sections_read_disjoint_inputs_and_the_knowledge_one_is_the_shards(
        config: SiteConfig) -> None:
    """What the planner relies on to skip the knowledge section when the articles are equal."""
    knowledge = list(knowledge_pages(demo_data(), config))
    assert knowledge and all(p.path.removeprefix("en/").split("/")[0] in ("articles", "themes")
                             for p in knowledge)
    assert all(n.startswith(("article:", "topic:")) for p in knowledge for n in p.nodes)
    core = list(core_pages(demo_data(), config))
    assert not any(n.startswith("article:") for p in core for n in p.nodes)
    assert not any(p.path.removeprefix("en/").startswith(("articles/", "themes/")) for p in core)


def test_a_shard_deleted_by_hand_means_a_full_build(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    shutil.rmtree((site_dir / "en/themes").resolve())
    report = build_site_files(demo_data(), config, site_dir)
    assert report.kind == "full"
    assert (site_dir / "en/themes/index.html").is_file()
