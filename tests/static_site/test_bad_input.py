"""Bad input never breaks a build nor writes outside the site; dark sites; rsync targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.errors import InvalidInput
from static_site.builder import build_site_files
from static_site.dark_site import dark_build, prepare_dark_sites
from static_site.markup import render_markdown
from static_site.model import SiteConfig, SiteData
from static_site.targets import check_target, push_site
from static_site.writer import UnsafePath, target_in
from tests.static_site.conftest import CRISIS_ID, NOW, demo_data, make_crisis, make_publication


def test_markdown_is_escaped_and_sanitised() -> None:
    html = render_markdown("<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                           "<img src=x onerror=alert(1)> [ok](https://ok.fr)\n\n# Titre")
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://ok.fr"' in html and "<h2>Titre</h2>" in html and "<h1" not in html


def test_a_huge_body_is_cut_not_rendered_whole() -> None:
    assert len(render_markdown("a " * 200_000, limit=1000)) < 1200


@pytest.mark.parametrize("bad_id", ["../../etc", "ｅｖｉｌ", "évacuation", "a/b", ".hidden", "x" * 81])
def test_unsafe_ids_and_unknown_languages_are_left_out(bad_id: str, tmp_path: Path) -> None:
    data = demo_data()
    bad = [make_publication(bad_id), make_publication("ok-but-klingon", lang="tlh")]
    clean = SiteData.clean([*data.crises, make_crisis(id=bad_id)], [*data.publications, *bad],
                           data.articles, NOW)
    assert clean.publications == data.publications and len(clean.crises) == 1
    report = build_site_files(clean, SiteConfig(), tmp_path / "site")
    files = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    assert all(str(f).startswith(("site.builds", "site.shards", "site")) for f in files)
    assert report.total_pages > 10


@pytest.mark.parametrize("path", ["../x.html", "/etc/passwd", "a/../../x", ".manifest.json/x", "a\\b"])
def test_the_writer_refuses_paths_outside_the_site(path: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        target_in(tmp_path, path)


def test_dark_site_activation_is_an_incremental_build(tmp_path: Path) -> None:
    """Activation starts from the prepared dark site and rewrites only what changed (how fast
    is measured in bench/, not here: a loaded machine would fail a timed test)."""
    site = tmp_path / "site"
    config = SiteConfig()
    prepare_dark_sites(config, site, ["inondation"])
    base = dark_build(site, "inondation")
    assert base is not None
    report = build_site_files(demo_data(), config, site, base=base)
    assert report.kind == "incremental" and report.pages < report.total_pages
    assert CRISIS_ID in (site / "index.html").read_text()
    assert not any("preparation" in p.name for p in (site / "crises").iterdir())


async def test_rsync_pushes_the_live_site_to_a_local_destination(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site_files(demo_data(), SiteConfig(), site)
    edge = tmp_path / "edge"
    results = await push_site(site, [str(edge), str(tmp_path / "missing" / "deep" / "x")])
    assert results[str(edge)] == "ok"
    assert results[str(tmp_path / "missing" / "deep" / "x")].startswith("error")
    assert (edge / "index.html").read_bytes() == (site / "index.html").read_bytes()
    assert (edge / "articles").is_dir() and not (edge / "articles").is_symlink()
    assert not (edge / ".manifest.json").exists()
    with pytest.raises(InvalidInput):
        check_target("--rsh=evil")
