"""Fault tests: real Redis servers stopped, restarted and failed over under real processes.

Select them with `-m faults`; each is bounded (well under a minute)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: Redis failover/restart under traffic (tests/faults/; bounded)")
