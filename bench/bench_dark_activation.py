"""Activating a crisis from its prepared dark site against a full build of the same site.

    python bench/bench_dark_activation.py [--rounds 5]      goal: activation <= 1 s

`crisis site dark` pre-renders one build per scenario; at activation the build starts from it
and rewrites only what the live crisis changes. Prints the median of each over the rounds and
the ratio (a timed unit test would fail on a loaded machine, so the figure lives here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from static_site.builder import build_site_files  # noqa: E402
from static_site.dark_site import dark_build, prepare_dark_sites  # noqa: E402
from static_site.model import SiteConfig  # noqa: E402
from testbed.site_data import demo_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    config = SiteConfig()
    full, activation = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            prepare_dark_sites(config, site, ["inondation"])
            base = dark_build(site, "inondation")
            started = time.perf_counter()
            build_site_files(demo_data(), config, site, base=base)
            activation.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            build_site_files(demo_data(), config, Path(tmp) / "site")
            full.append(time.perf_counter() - started)
    a, f = statistics.median(activation), statistics.median(full)
    print(f"full build      {f * 1000:8.1f} ms (median of {rounds})")
    print(f"dark activation {a * 1000:8.1f} ms   ratio {a / f:.2f} of a full build"
          f"   goal <= 1 s: {'met' if a <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
