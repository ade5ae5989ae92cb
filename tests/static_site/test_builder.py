"""Publishing: atomic switch, kept builds, rollback, twins, budgets, failures leave the site up."""

from __future__ import annotations

import brotli
import gzip
import os
from pathlib import Path

import msgspec
import pytest

from crisis.errors import InvalidInput
from crisis.errors import BuildFailed
from static_site.builder import BuildReport, build_site_files
from static_site.model import SiteConfig, SiteData
from static_site.publish import KEEP_BUILDS, list_builds, live_build, rollback
from tests.static_site.conftest import CRISIS_ID, NOW, demo_data


def test_every_text_file_has_gzip_and_brotli_twins(built: BuildReport, site_dir: Path) -> None:
    files = [Path(d) / f for d, _, fs in os.walk(site_dir, followlinks=True) for f in fs]
    texts = [f for f in files if f.suffix in (".html", ".css", ".xml", ".json", ".txt")
             and not f.name.startswith(".")]
    assert len(texts) == built.total_pages + 1  # + the stylesheet
    for file in texts:
        data = file.read_bytes()
        assert gzip.decompress(file.with_name(file.name + ".gz").read_bytes()) == data
        assert brotli.decompress(file.with_name(file.name + ".br").read_bytes()) == data


def test_home_budget_and_essentials_first(built: BuildReport, site_dir: Path) -> None:
    html = (site_dir / "index.html").read_bytes()
    css = next((site_dir / "site-assets").glob("site.*.css.br")).read_bytes()
    assert len((site_dir / "index.html.br").read_bytes()) + len(css) <= 30_000
    first = html[:14_000].decode("utf-8", "ignore")
    assert "Montez" in first or "hauteur" in first  # the first safety instruction
    assert "<style>" in first and "République" in first
    for lang_root in ("", "en/"):
        assert (site_dir / f"{lang_root}lite/index.txt").stat().st_size < 5_000
        for lite in (site_dir / f"{lang_root}lite/crises").glob("*.txt"):
            assert lite.stat().st_size < 5_000


def test_pages_are_bilingual_with_hreflang_and_switcher(built: BuildReport, site_dir: Path) -> None:
    home = (site_dir / "index.html").read_text()
    assert 'hreflang="en" href="https://info-crise.example.gouv.fr/en/"' in home
    assert '<html lang="fr">' in home and 'href="/en/"' in home
    page = (site_dir / f"en/publications/{CRISIS_ID}-montez-en-hauteur-en/index.html").read_text()
    assert f'href="/publications/{CRISIS_ID}-montez-en-hauteur/"' in page
    easy = site_dir / f"publications/{CRISIS_ID}-montez-en-hauteur/facile/index.html"
    assert "Montez en haut" in easy.read_text()
    for code in ("75", "92"):
        assert (site_dir / f"departements/{code}/index.html").is_file()
    assert "Page introuvable" in (site_dir / "404.html").read_text()


def test_incremental_build_switches_atomically_and_shares_unchanged_files(
        built: BuildReport, config: SiteConfig, site_dir: Path) -> None:
    first = live_build(site_dir)
    data = demo_data()
    pub = data.publications[0]
    newer = msgspec.structs.replace(pub, version=2, title="Nouveau titre")
    second = build_site_files(SiteData.clean(data.crises, [newer, *data.publications[1:]],
                                             data.articles, NOW), config, site_dir)
    assert second.kind == "incremental" and 0 < second.pages < 20
    assert live_build(site_dir) == second.directory != first
    assert "Nouveau titre" in (site_dir / "index.html").read_text()
    assert first is not None and "Nouveau titre" not in (first / "index.html").read_text()
    assert os.path.samefile(first / "robots.txt", site_dir / "robots.txt")
    assert (site_dir / "articles").resolve() == (first / "articles").resolve()


def test_keeps_the_last_builds_and_rolls_back(built: BuildReport, config: SiteConfig,
                                              site_dir: Path) -> None:
    for _ in range(KEEP_BUILDS + 1):
        build_site_files(demo_data(), config, site_dir, full=True)
    builds = list_builds(site_dir)
    assert len(builds) == KEEP_BUILDS
    assert live_build(site_dir) == builds[-1]
    assert rollback(site_dir) == builds[-2] == live_build(site_dir)
    assert rollback(site_dir, builds[0].name) == live_build(site_dir)
    with pytest.raises(InvalidInput):
        rollback(site_dir)
    assert (site_dir / "articles" / "index.html").is_file()  # shards survived the pruning


def test_a_failed_build_leaves_the_previous_site_online(
        built: BuildReport, config: SiteConfig, site_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = live_build(site_dir)

    def broken(*args: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr("static_site.builder.render_page", broken)
    with pytest.raises(BuildFailed, match="template exploded"):
        build_site_files(demo_data(), config, site_dir, full=True)
    assert live_build(site_dir) == before
    assert len(list_builds(site_dir)) == 1
    assert (site_dir / "index.html").is_file()


def test_a_write_failing_in_a_writer_thread_fails_the_build_and_keeps_the_site(
        built: BuildReport, config: SiteConfig, site_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo site is over PARALLEL_WRITE_FROM pages: a full build writes from threads.
    from static_site import builder
    assert built.total_pages >= builder.PARALLEL_WRITE_FROM
    before = live_build(site_dir)
    real_write = builder.write_file

    def disk_full(root: Path, relative: str, data: bytes) -> int:
        if relative.endswith("index.html") and "crises" in relative:
            raise OSError(28, "No space left on device")
        return real_write(root, relative, data)

    monkeypatch.setattr("static_site.builder.write_file", disk_full)
    with pytest.raises(BuildFailed, match="No space left"):
        build_site_files(demo_data(), config, site_dir, full=True)
    assert live_build(site_dir) == before
    assert (site_dir / "index.html").is_file()


def test_a_template_or_config_change_forces_a_full_build(built: BuildReport, site_dir: Path) -> None:
    report = build_site_files(demo_data(), SiteConfig(base_url="https://autre.example.fr"), site_dir)
    assert report.kind == "full" and report.pages == report.total_pages
