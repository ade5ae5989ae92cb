"""The data directory's permissions: private by default, the public site readable by nginx.

| path (under CRISIS_DATA_DIR)  | mode | why                                                    |
|-------------------------------|------|--------------------------------------------------------|
| the data dir itself           | 0711 | others may pass through to the site (nginx), not list  |
|                               | 0700 | when CRISIS_SITE_DIR lives elsewhere: nobody passes    |
| redis/ (embedded Redis)       | 0700 | the AOF holds every conversation, address and account  |
| redis/* (AOF, log, pid)       | 0600 | written by redis-server under umask 077                |
| secret_key                    | 0600 | signs sessions, tokens and citizen ids                 |
| vapid/, vapid/private_key.pem | 0700/0600 | the Web Push signing key (channels/push/vapid.py) |
| metrics/                      | 0700 | per-process samples, nobody else's business            |
| site, site.*, site-builds...  | 0755/0644 (umask 022) | public by design: nginx serves them     |

Applied at every start, so an older install created with wider modes is tightened too.
"""

from __future__ import annotations

import os
from pathlib import Path

from crisis.settings import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
TRAVERSE_ONLY = 0o711


def site_inside(settings: Settings) -> bool:
    data = settings.data_dir.resolve()
    site = settings.site_path.resolve()
    return site == data or data in site.parents


def prepare_data_dir(settings: Settings) -> Path:
    """Create the data dir (and fix its mode) as the table above says."""
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, TRAVERSE_ONLY if site_inside(settings) else PRIVATE_DIR)
    return data


def private_dir(path: Path) -> Path:
    """A directory only the centre's user may enter; its existing files made 0600."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                os.chmod(entry.path, PRIVATE_FILE)
    return path
