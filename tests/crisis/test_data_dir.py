"""Data at rest is not readable by other local users: the data dir, the embedded Redis's
files and the secret key are private; only the way to the public site stays open (nginx)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import redis

from crisis.data_dir import prepare_data_dir
from crisis.redis_server import EmbeddedRedis
from crisis.secret_key import resolve_secret_key
from crisis.settings import load_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_redis_and_the_key_are_private(tmp_path: Path) -> None:
    data = tmp_path / "var"
    settings = load_settings({"CRISIS_DATA_DIR": str(data)})
    resolve_secret_key(settings)
    server = EmbeddedRedis(data)
    server.start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        client.set("conversation", "Mon adresse est 3 rue des Lilas")
        client.close()
    finally:
        server.stop()
    assert mode(data) == 0o711  # the site lives inside: others may pass through, not list
    assert mode(data / "secret_key") == 0o600
    assert mode(data / "redis") == 0o700
    files = [p for p in (data / "redis").iterdir() if p.is_file()]
    assert any(p.name.endswith(".aof") for p in files), files
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_older_install_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "var"
    (data / "redis").mkdir(parents=True)
    os.chmod(data, 0o755)
    os.chmod(data / "redis", 0o755)
    (data / "secret_key").write_text("old-key\n")
    os.chmod(data / "secret_key", 0o644)
    (data / "redis" / "appendonly.aof").write_text("")
    os.chmod(data / "redis" / "appendonly.aof", 0o644)
    settings = load_settings({"CRISIS_DATA_DIR": str(data),
                              "CRISIS_SITE_DIR": str(tmp_path / "www" / "site")})
    assert resolve_secret_key(settings) == b"old-key"
    prepare_data_dir(settings)
    server = EmbeddedRedis(data)
    server.start()
    server.stop()
    assert mode(data) == 0o700  # the site is elsewhere: nobody else needs to pass
    assert mode(data / "secret_key") == 0o600
    assert mode(data / "redis") == 0o700
    assert mode(data / "redis" / "appendonly.aof") == 0o600
