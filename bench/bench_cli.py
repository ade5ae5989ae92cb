"""How fast the `crisis` command answers: wall time of whole processes, as a user times them.

    python bench/bench_cli.py [--runs 15]

Each command is run `--runs` times in a fresh process, alternating with the baseline (so load
on the machine hits both alike); the median is printed with its ratio to the baseline:
  - baseline: `python -c pass`, the interpreter starting and stopping (no command can beat it);
  - `crisis --help`;
  - `crisis scenarios list` (reads the shipped scenario files; no centre);
  - `crisis status` on a centre whose embedded Redis is up (as while `crisis up` runs).
The target of the first-contact issue: `crisis --help` and `crisis status` under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis.redis_server import EmbeddedRedis  # noqa: E402

TARGET_S = 0.300


def wall_time(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    crisis = shutil.which("crisis", path=str(Path(sys.executable).parent)) or "crisis"
    home = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    server = EmbeddedRedis(home / "var")
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRISIS_", "REDIS_"))}
    env["CRISIS_DATA_DIR"] = str(home / "var")
    commands = {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "crisis --help": [crisis, "--help"],
        "crisis scenarios list": [crisis, "scenarios", "list"],
        "crisis status": [crisis, "status"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    try:
        wall_time(commands["crisis status"], env, home)  # warm the file cache once
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall_time(argv, env, home))
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    baseline = statistics.median(times["python -c pass (baseline)"])
    print(f"{'command':<28} {'median':>8} {'min':>8} {'x baseline':>11}  target")
    for name, values in times.items():
        median = statistics.median(values)
        target = "" if "baseline" in name or "scenarios" in name else \
            ("ok" if median < TARGET_S else f"MISSED (< {TARGET_S * 1000:.0f} ms)")
        print(f"{name:<28} {median * 1000:>6.0f}ms {min(values) * 1000:>6.0f}ms "
              f"{median / baseline:>10.1f}x  {target}")


if __name__ == "__main__":
    main()
