"""The signing key: CRISIS_SECRET_KEY, or one generated once and kept in the data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from crisis.settings import Settings


def resolve_secret_key(settings: Settings) -> bytes:
    """The configured key, else the one in $CRISIS_DATA_DIR/secret_key (created 0600 if absent)."""
    if settings.secret_key is not None:
        return settings.secret_key.reveal().encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip().encode()


def _write_private(path: Path, value: str) -> None:
    # O_EXCL: two processes starting together must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
