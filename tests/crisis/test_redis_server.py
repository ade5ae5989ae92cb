"""The embedded Redis's durability setting: CRISIS_REDIS_FSYNC reaches redis-server's
appendfsync, and with `always` a write answered before a kill -9 is there after the restart."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import redis

from crisis.errors import ConfigError
from crisis.redis_server import EmbeddedRedis
from crisis.settings import load_settings


def appendfsync(server: EmbeddedRedis) -> str:
    client = redis.Redis(unix_socket_path=str(server.socket_path), decode_responses=True)
    try:
        return str(client.config_get("appendfsync")["appendfsync"])
    finally:
        client.close()


@pytest.mark.parametrize(("env", "expected"), [({}, "everysec"),
                                               ({"CRISIS_REDIS_FSYNC": "always"}, "always"),
                                               ({"CRISIS_REDIS_FSYNC": "EverySec"}, "everysec")])
def test_the_embedded_redis_fsyncs_as_configured(tmp_path: Path, env: dict[str, str],
                                                 expected: str) -> None:
    settings = load_settings({"CRISIS_DATA_DIR": str(tmp_path), **env})
    server = EmbeddedRedis(settings.data_dir, settings.redis_fsync)
    server.start()
    try:
        assert appendfsync(server) == expected
    finally:
        server.stop()


def test_an_unknown_fsync_policy_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="CRISIS_REDIS_FSYNC='no': must be one of everysec, always"):
        load_settings({"CRISIS_REDIS_FSYNC": "no"})
    with pytest.raises(ConfigError, match="appendfsync"):
        EmbeddedRedis(Path("var"), "no")


def test_with_always_a_write_answered_before_a_kill_9_is_there_after_the_restart(
        tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, "always")
    server.start()
    client = redis.Redis(unix_socket_path=str(server.socket_path), decode_responses=True)
    try:
        for n in range(200):
            client.rpush("inbound", f"SM{n:04d}")
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        client.close()
    again = EmbeddedRedis(tmp_path, "always")
    again.start()  # clears the stale socket and pid file, replays the append-only file
    client = redis.Redis(unix_socket_path=str(again.socket_path), decode_responses=True)
    try:
        assert client.lrange("inbound", 0, -1) == [f"SM{n:04d}" for n in range(200)]
    finally:
        client.close()
        again.stop()
