"""The stored data's schema version: recorded on a new centre, migrated step by step under a
lock, and a process refuses to start on data a newer version wrote (a rolling upgrade's old
process must not misread it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from crisis.errors import ConfigError
from crisis.keys import Keys
from crisis.schema import MIGRATIONS, SCHEMA_VERSION, ensure_schema


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


def test_a_new_centre_records_the_current_version(client: redis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    assert ensure_schema(client, keys) == SCHEMA_VERSION
    assert client.get(keys.schema) == str(SCHEMA_VERSION)


def test_older_data_is_migrated_once_step_by_step(client: redis.Redis, prefix: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    keys = Keys(prefix)
    client.set(keys.schema, 1)
    steps: list[int] = []
    monkeypatch.setitem(MIGRATIONS, 2, lambda c, k: steps.append(2))
    monkeypatch.setitem(MIGRATIONS, 3, lambda c, k: steps.append(3))
    assert ensure_schema(client, keys, current=3) == 3
    assert ensure_schema(client, keys, current=3) == 3  # a second process: nothing to do
    assert steps == [2, 3] and client.get(keys.schema) == "3"


def test_data_of_a_newer_version_is_refused(client: redis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    client.set(keys.schema, SCHEMA_VERSION + 1)
    with pytest.raises(ConfigError, match="newer version of the centre"):
        ensure_schema(client, keys)


def test_a_worker_refuses_to_start_on_newer_data(env: dict[str, str], client: redis.Redis,
                                                 prefix: str) -> None:
    client.set(Keys(prefix).schema, SCHEMA_VERSION + 1)
    done = subprocess.run([sys.executable, "-m", "crisis", "worker", "--burst"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "newer version of the centre" in done.stderr
