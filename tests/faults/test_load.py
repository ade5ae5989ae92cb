"""The load suite in CI: `bench/bench_load.py` at a small size, as `crisis up` runs the centre
(two web processes, the events process, two workers, the Twilio stand-in, an embedded Redis),
with SMS, web chats and operators answering through the API at the same time. What is
checked is what must hold at any size: every SMS received is persisted and routed or
answered, no citizen gets the same reply twice, no event is dead-lettered, every chat message
is acknowledged. The speed figures it prints are the benchmark's business (docs/performance.md),
not a pass/fail criterion here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_a_small_load_loses_nothing_and_answers_nobody_twice() -> None:
    run = subprocess.run(
        [sys.executable, "bench/bench_load.py", "--messages", "600", "--chats", "30",
         "--operators", "2"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "every chat message acknowledged: yes" in run.stdout
