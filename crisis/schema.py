"""The version of what the centre stores in Redis, checked by every long-running process.

A rolling upgrade runs old and new processes side by side for a while. `SCHEMA_VERSION` is
raised whenever a stored format changes in a way an older process would misread, with the
function that brings the data from the version below in `MIGRATIONS`. At start, `crisis web`,
`crisis worker` (and `--events`) and `crisis smtp`:
- on data without a version (a new centre, or one from before versions): record the current;
- on data of an older version: migrate, one step at a time, under a lock, once for all;
- on data of a newer version: refuse to start, saying so (this process is the old one: finish
  the upgrade, or roll back the data with the new version's own instructions).
docs/operations.md ("Rolling upgrades") says how to upgrade with it.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from crisis.errors import ConfigError
from crisis.keys import Keys

SCHEMA_VERSION = 1
# version -> what brings the data from version - 1 to it (none yet: version 1 is the first).
MIGRATIONS: dict[int, Callable[[redis.Redis, Keys], None]] = {}
LOCK_TIMEOUT_S = 600


def ensure_schema(client: redis.Redis, keys: Keys, current: int = SCHEMA_VERSION) -> int:
    """Check, migrate if needed, and return the data's schema version (= `current`)."""
    stored = client.get(keys.schema)
    if stored is None:
        client.set(keys.schema, current, nx=True)
        stored = client.get(keys.schema)
    version = int(stored or current)
    if version > current:
        raise ConfigError(
            f"the data in Redis is of schema version {version}, written by a newer version of "
            f"the centre; this one knows version {current}: upgrade this process (or restore "
            "the data as the newer version's upgrade notes say)")
    if version < current:
        with client.lock(keys.schema_lock, timeout=LOCK_TIMEOUT_S):
            version = int(client.get(keys.schema) or current)  # another process may have done it
            while version < current:
                MIGRATIONS[version + 1](client, keys)
                version += 1
                client.set(keys.schema, version)
    return version
