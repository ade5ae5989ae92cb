"""Serving: requests/s for the home page through deploy/nginx, against nginx serving a
1-byte file with a minimal configuration, measured with wrk on loopback in one run.

    python bench/bench_site_serving.py [--seconds 5] [--connections 32]     goal: ratio >= 0.8
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from static_site.builder import build_site_files  # noqa: E402
from static_site.model import SiteConfig  # noqa: E402
from testbed.nginx import LOCATIONS, nginx_config, start_nginx  # noqa: E402
from testbed.ports import free_port  # noqa: E402
from testbed.site_data import demo_data  # noqa: E402

log = logging.getLogger("bench")


def wrk(url: str, seconds: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", "Accept-Encoding: br, gzip", url],
        check=True, capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None or "Non-2xx" in output:
        raise RuntimeError(output)
    return float(match.group(1))


def serve(folder: Path, site: Path, locations: str, path: str, seconds: int, connections: int) -> float:
    port = free_port()
    process = start_nginx(nginx_config(folder, port, site, locations), port)
    try:
        return wrk(f"http://127.0.0.1:{port}{path}", seconds, connections)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        site = root / "site"
        build_site_files(demo_data(), SiteConfig(), site)
        tiny = root / "tiny"
        tiny.mkdir()
        (tiny / "one.txt").write_bytes(b"x")
        minimal = "location / { try_files $uri =404; }"
        baseline = serve(root / "n1", tiny, minimal, "/one.txt", args.seconds, args.connections)
        ours = serve(root / "n2", site, f"include {LOCATIONS};", "/", args.seconds, args.connections)
        size = (site / "index.html.br").stat().st_size
    log.info("nginx, 1-byte file, minimal config: %.0f req/s", baseline)
    log.info("nginx, home page (.br %d B) through deploy/nginx: %.0f req/s", size, ours)
    log.info("ratio: %.2f (goal >= 0.8)", ours / baseline)


if __name__ == "__main__":
    main()
