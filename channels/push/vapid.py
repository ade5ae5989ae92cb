"""The centre's VAPID key pair: generated once, kept in $CRISIS_DATA_DIR/vapid/ (0600).

Every browser subscription is bound to the public key it was made with (the page passes it
as `applicationServerKey`): a new key would orphan every subscription, so the key is never
rotated silently. Two processes starting together create it once (O_EXCL, the loser reads
the winner's file).
"""

from __future__ import annotations

import dataclasses
import os
from email.utils import parseaddr
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode

from crisis.data_dir import prepare_data_dir
from crisis.settings import Settings

KEY_FILE = "private_key.pem"


@dataclasses.dataclass(frozen=True)
class VapidKeys:
    signer: Vapid02
    public_key: str  # base64url of the raw P-256 point: the page's applicationServerKey
    subject: str  # the `sub` claim: how a push service reaches the centre's operator


def vapid_subject(settings: Settings) -> str:
    """CRISIS_VAPID_SUBJECT, else mailto: the sender of CRISIS_MAIL_FROM, else the public URL."""
    if settings.vapid_subject:
        return settings.vapid_subject
    address = parseaddr(settings.mail_from or "")[1]
    return f"mailto:{address}" if address else settings.base_url


def _create(path: Path) -> None:
    key = Vapid02()
    key.generate_keys()
    pem: bytes = key.private_pem()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: use theirs
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_vapid_keys(settings: Settings) -> VapidKeys:
    """The key pair of $CRISIS_DATA_DIR/vapid/, created on first use (file 0600, folder 0700)."""
    path = settings.data_dir / "vapid" / KEY_FILE
    if not path.exists():
        prepare_data_dir(settings)
        _create(path)
    elif path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    signer = Vapid02.from_pem(path.read_bytes())
    raw = signer.public_key.public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(signer, b64urlencode(raw), vapid_subject(settings))
