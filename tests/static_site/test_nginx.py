"""The deploy/nginx configuration, on a real nginx over a built site: headers and encodings."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from static_site.builder import BuildReport
from testbed.nginx import LOCATIONS, nginx_config, start_nginx
from testbed.ports import free_port


@pytest.fixture
def nginx(built: BuildReport, site_dir: Path, tmp_path: Path) -> Iterator[str]:
    assert shutil.which("nginx"), "nginx is required (apt-get install nginx libnginx-mod-http-brotli-static)"
    port = free_port()
    conf = nginx_config(tmp_path / "nginx", port, site_dir, f"include {LOCATIONS};")
    process = start_nginx(conf, port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_home_is_served_precompressed_with_cache_and_security_headers(nginx: str, site_dir: Path) -> None:
    status, headers, body = get(nginx + "/", **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200
    assert headers["content-encoding"] == "br"
    assert body == (site_dir / "index.html.br").read_bytes()
    assert headers["vary"] == "Accept-Encoding"
    assert "stale-while-revalidate" in headers["cache-control"]
    assert "stale-if-error" in headers["cache-control"]
    assert headers["etag"].startswith('"')
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, again, _ = get(nginx + "/", **{"Accept-Encoding": "br", "If-None-Match": headers["etag"]})
    assert status == 304


def test_gzip_and_identity_negotiation(nginx: str, site_dir: Path) -> None:
    _, headers, body = get(nginx + "/en/", **{"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert body == (site_dir / "en" / "index.html.gz").read_bytes()
    _, headers, body = get(nginx + "/en/", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers
    assert body == (site_dir / "en" / "index.html").read_bytes()


def test_hashed_assets_are_immutable_and_shards_are_followed(nginx: str, site_dir: Path) -> None:
    css = next((site_dir / "site-assets").glob("site.*.css")).name
    _, headers, _ = get(f"{nginx}/site-assets/{css}", **{"Accept-Encoding": "br"})
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "br"
    status, _, _ = get(nginx + "/articles/", **{"Accept-Encoding": "br"})
    assert status == 200


def test_missing_pages_hidden_files_and_cap(nginx: str) -> None:
    status, _, body = get(nginx + "/nope/")
    assert status == 404 and "Page introuvable" in body.decode()
    assert get(nginx + "/.manifest.json")[0] == 404
    status, headers, _ = get(nginx + "/cap/index.xml", **{"Accept-Encoding": "br"})
    assert status == 200 and headers["content-type"].startswith("application/xml")


def test_lite_index_and_icons(nginx: str, site_dir: Path) -> None:
    for path, lang in (("/lite/", "fr"), ("/en/lite/", "en")):
        status, headers, body = get(nginx + path, **{"Accept-Encoding": "identity"})
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8", path
        assert f'<html lang="{lang}">' in body.decode()
    status, headers, body = get(nginx + "/favicon.svg", **{"Accept-Encoding": "br"})
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    assert headers["content-encoding"] == "br" and body == (site_dir / "favicon.svg.br").read_bytes()
    status, headers, body = get(nginx + "/favicon.ico")
    assert status == 200 and headers["content-type"] == "image/x-icon"
    assert body == (site_dir / "favicon.ico").read_bytes()
