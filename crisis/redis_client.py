"""Redis connections from a URL: redis://, rediss://, unix:// and redis+sentinel://.

Sentinel URLs name the monitored service in the path:
`redis+sentinel://[:password@]host1:26379,host2:26379/mymaster[/db]`.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel, SentinelManagedConnection
from redis.utils import SENTINEL

from crisis.errors import ConfigError


MAX_CONNECTIONS = 256  # per process; Redis's own default limit is 10,000 clients
POOL_TIMEOUT_S = 10


class _ClosingSentinelConnection(SentinelManagedConnection):
    """redis-py's blocking Sentinel connection, but dropped when a read is interrupted, as a
    plain connection is: redis-py's default there keeps it (`disconnect_on_error=False`).

    An RQ worker told to stop (SIGTERM) while idle is interrupted inside its BLPOP; the
    connection went back to the pool with the BLPOP still blocking on the server, so the
    worker's last write (register_death) read that BLPOP's answer instead of its own and
    hung until that BLPOP timed out (minutes): a worker on Sentinel did not stop when told."""

    def read_response(self, disable_decoding: bool = False, *, timeout: Any = SENTINEL,
                      disconnect_on_error: bool | None = True,
                      push_request: bool | None = False) -> Any:
        return super().read_response(disable_decoding=disable_decoding, timeout=timeout,
                                     disconnect_on_error=disconnect_on_error,
                                     push_request=push_request)


def _sentinel_parts(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    hosts: list[tuple[str, int]] = []
    for item in netloc.split(","):
        host, _, port = item.partition(":")
        hosts.append((host, int(port or 26379)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ConfigError("REDIS_URL: a redis+sentinel:// URL must name the service, e.g. /mymaster")
    db = int(path[1]) if len(path) > 1 else 0
    password = unquote(parts.password) if parts.password else None
    return hosts, path[0], db, password


def async_redis(url: str) -> aioredis.Redis:
    """An asyncio client (the web process); replies decoded as str."""
    if url.startswith("redis+sentinel://"):
        hosts, service, db, password = _sentinel_parts(url)
        sentinel = AsyncSentinel(hosts, password=password)  # type: ignore[no-untyped-call]
        return cast(aioredis.Redis, sentinel.master_for(
            service, db=db, password=password, decode_responses=True))
    # A blocking pool: under a burst, a coroutine waits for a free connection instead of
    # failing with "Too many connections" (which would turn a citizen's SMS into a 500).
    pool = aioredis.BlockingConnectionPool.from_url(
        url, decode_responses=True, health_check_interval=30,
        max_connections=MAX_CONNECTIONS, timeout=POOL_TIMEOUT_S)
    return aioredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections


def sync_redis(url: str, *, decode: bool = True) -> redis.Redis:
    """A blocking client (CLI, RQ workers). RQ needs `decode=False`: it stores pickles."""
    if url.startswith("redis+sentinel://"):
        hosts, service, db, password = _sentinel_parts(url)
        sentinel = Sentinel(hosts, password=password)  # type: ignore[no-untyped-call]
        return cast(redis.Redis, sentinel.master_for(  # type: ignore[no-untyped-call]
            service, db=db, password=password, decode_responses=decode,
            connection_class=_ClosingSentinelConnection))
    return redis.Redis.from_url(url, decode_responses=decode, health_check_interval=30)
