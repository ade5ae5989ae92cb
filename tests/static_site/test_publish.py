"""Build directories: cloning, the switch, pruning (which must never follow a shard link)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import jinja2
import msgspec
import pytest

from static_site.builder import BuildReport, build_site_files
from static_site.markup import plain_text, render_markdown
from static_site.model import SiteConfig, SiteData
from static_site.publish import KEEP_BUILDS, clone_tree, list_builds, live_build, remove_tree
from static_site.template_cache import SafeBytecodeCache
from tests.static_site.conftest import NOW, demo_data


def test_clone_links_files_copies_symlinks_and_skips_shards(tmp_path: Path) -> None:
    source = tmp_path / "a"
    (source / "x" / "y").mkdir(parents=True)
    (source / "x" / "y" / "page.html").write_text("page")
    (source / "shard-target").mkdir()
    (source / "articles").symlink_to("shard-target")
    (source / "themes").symlink_to("shard-target")
    clone_tree(source, tmp_path / "b", skip=frozenset({"themes"}))
    assert os.path.samefile(source / "x/y/page.html", tmp_path / "b/x/y/page.html")
    assert os.readlink(tmp_path / "b/articles") == "shard-target"
    assert not (tmp_path / "b/themes").exists()


def test_removing_a_build_unlinks_its_shard_links_without_following_them(tmp_path: Path) -> None:
    shard = tmp_path / "shard"
    shard.mkdir()
    (shard / "index.html").write_text("shared")
    build = tmp_path / "build"
    (build / "en").mkdir(parents=True)
    (build / "en" / "articles").symlink_to(shard)
    (build / "file").write_text("x")
    remove_tree(build)
    assert not build.exists()
    assert (shard / "index.html").read_text() == "shared"


def test_the_report_says_when_the_switch_happened(built: BuildReport, config: SiteConfig,
                                                  site_dir: Path) -> None:
    before = time.perf_counter()
    report = build_site_files(demo_data(), config, site_dir)
    assert before < report.switched_at < time.perf_counter()
    assert live_build(site_dir) == report.directory


def test_a_pruning_failure_after_the_switch_keeps_the_new_build_online(
        built: BuildReport, config: SiteConfig, site_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(site: Path) -> None:
        raise OSError("disk hiccup")

    monkeypatch.setattr("static_site.builder.prune", broken)
    pub = demo_data().publications[0]
    newer = msgspec.structs.replace(pub, version=2, title="Toujours en ligne")
    data = demo_data()
    report = build_site_files(SiteData.clean(data.crises, [newer, *data.publications[1:]],
                                             data.articles, NOW), config, site_dir)
    assert live_build(site_dir) == report.directory and report.directory.is_dir()
    assert "Toujours en ligne" in (site_dir / "index.html").read_text()


def test_pruning_keeps_the_shards_of_every_kept_build(built: BuildReport, config: SiteConfig,
                                                      site_dir: Path) -> None:
    data = demo_data()
    for n in range(KEEP_BUILDS + 2):
        article = data.articles_in("fr")[0]
        edited = msgspec.structs.replace(article, answer=f"Réponse n° {n}.")
        build_site_files(SiteData.clean(data.crises, data.publications,
                                        [edited if a is article else a for a in data.articles],
                                        NOW), config, site_dir)
    builds = list_builds(site_dir)
    assert len(builds) == KEEP_BUILDS
    for build in builds:
        for shard in ("articles", "themes", "en/articles", "en/themes"):
            assert (build / shard / "index.html").is_file(), (build.name, shard)
    shards = site_dir.with_name(site_dir.name + ".shards")
    # Each build changed a French article, so each has its own French articles shard.
    assert len([p for p in shards.iterdir() if p.name.startswith("articles-")]) == KEEP_BUILDS


def test_markdown_is_memoised_within_a_build_and_forgotten_between_builds(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    render_markdown("**gras**")
    plain_text("**gras**")
    assert render_markdown.cache_info().currsize > 0
    build_site_files(SiteData.clean([], [], [], NOW), config, site_dir)
    # Cleared at the start of the build, which had no text to render: nothing carried over.
    assert render_markdown.cache_info().currsize == 0
    assert render_markdown("**gras**") == "<p><strong>gras</strong></p>\n"


def test_a_french_change_shares_the_english_tree_and_an_english_one_copies_it(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    first = live_build(site_dir)
    assert first is not None
    data = demo_data()
    fr = next(p for p in data.publications if p.lang == "fr")
    en = next(p for p in data.publications if p.lang == "en")
    newer = msgspec.structs.replace(fr, version=2, title="Nouveau titre")
    build_site_files(SiteData.clean(data.crises, [newer if p is fr else p for p in data.publications],
                                    data.articles, NOW), config, site_dir)
    second = live_build(site_dir)
    assert second is not None and (second / "en").is_symlink()
    assert (second / "en").resolve() == (first / "en").resolve()

    english = msgspec.structs.replace(en, version=2, title="New title")
    publications = [newer if p is fr else english if p is en else p for p in data.publications]
    build_site_files(SiteData.clean(data.crises, publications, data.articles, NOW), config, site_dir)
    third = live_build(site_dir)
    assert third is not None and (third / "en").resolve() != (second / "en").resolve()
    assert "New title" in (site_dir / "en/index.html").read_text()
    assert "New title" not in (second / "en/index.html").read_text()  # the old tree untouched
    assert (third / "en/articles").resolve() == (first / "en/articles").resolve()
    assert (site_dir / "en/articles/index.html").is_file()


def test_an_english_article_change_relinks_its_shards_inside_a_fresh_english_root(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    first = live_build(site_dir)
    assert first is not None
    data = demo_data()
    article = data.articles_in("en")[0]
    edited = msgspec.structs.replace(article, answer="A reviewed answer.")
    build_site_files(SiteData.clean(data.crises, data.publications,
                                    [edited if a is article else a for a in data.articles], NOW),
                     config, site_dir)
    second = live_build(site_dir)
    assert second is not None
    assert (second / "en").resolve() != (first / "en").resolve()
    assert (second / "en/articles").resolve() != (first / "en/articles").resolve()
    for french in ("articles", "themes"):
        assert (second / french).resolve() == (first / french).resolve()
    assert "A reviewed answer." in (site_dir / f"en/articles/{article.id}/index.html").read_text()
    assert "A reviewed answer." not in (first / f"en/articles/{article.id}/index.html").read_text()


def test_a_template_cache_that_cannot_write_or_read_still_renders(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "Bonjour {{ name }}"}),
                             bytecode_cache=SafeBytecodeCache(str(not_a_dir)))
    assert env.get_template("t.html").render(name="Paris") == "Bonjour Paris"
    folder = tmp_path / "cache"
    folder.mkdir()
    jinja2.Environment(loader=jinja2.DictLoader({"t.html": "Bonjour {{ name }}"}),
                       bytecode_cache=SafeBytecodeCache(str(folder))).get_template("t.html")
    for cached in folder.iterdir():
        cached.write_bytes(b"not bytecode")  # a torn or foreign file
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "Bonjour {{ name }}"}),
                             bytecode_cache=SafeBytecodeCache(str(folder)))
    assert env.get_template("t.html").render(name="Lyon") == "Bonjour Lyon"
