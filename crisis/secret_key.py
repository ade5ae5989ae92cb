"""The signing key: CRISIS_SECRET_KEY, or one generated once and kept in the data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from crisis.data_dir import prepare_data_dir
from crisis.settings import Settings


def resolve_secret_key(settings: Settings) -> bytes:
    """The configured key, else the one in $CRISIS_DATA_DIR/secret_key (created 0600 if absent)."""
    if settings.secret_key is not None:
        return settings.secret_key.reveal().encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        prepare_data_dir(settings)
        _write_private(path, secrets.token_urlsafe(48))
    elif path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # an older install's key, readable by others: close it
    return path.read_text(encoding="ascii").strip().encode()


def _write_private(path: Path, value: str) -> None:
    # O_EXCL: two processes starting together must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
