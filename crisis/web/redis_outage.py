"""Redis trouble seen by a request: 503 + Retry-After, and acknowledgements that survive a
failover.

- `redis_unavailable`: a request that meets Redis unreachable (connection refused or lost,
  a timeout, a Sentinel with no primary to name, a former primary now read-only, a restarted
  server still loading its data) answers 503 with Retry-After instead of a 500 with a
  traceback: Twilio and the other providers retry a 503, and the browser's page says to try
  again. One short log line every few seconds per process, and a counter.
- `replicated_acknowledgement`: with CRISIS_REDIS_MIN_REPLICAS = N > 0, a webhook's 2xx
  leaves only once N replicas hold everything the primary had when the handler finished
  (Redis WAIT). Replication is asynchronous: without this, a failover can lose a message
  the provider was told we had. When fewer replicas confirm within WAIT_MS, the webhook
  answers 503 and the provider retries; a retry of a message that was in fact kept is
  dropped by the store's deduplication on the provider's id. A webhook that wrote nothing
  to Redis because it kept its messages in the local spool (`mark_spooled`) has nothing to
  wait for: its 2xx leaves at once (the spool's fsync is what it acknowledges, and an
  answer given in it, degraded mode, must reach the provider).
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import Counter

from crisis.errors import TryLater
from crisis.web.app_keys import CONTEXT

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
WAIT_MS = 1000  # Twilio waits ~15 s for an answer; replication on a LAN takes milliseconds
LOG_EVERY_S = 5.0
# The PUBLISH that marks the replication offset to wait for: a channel, not a key (nothing
# is stored, nobody listens), so it needs no prefix and no entry in the key table.
MARK_CHANNEL = "crisis-replication-mark"

# What "Redis is not there right now" looks like through redis-py: ConnectionError covers
# refused/lost connections, a full pool, Sentinel's MasterNotFoundError and a server still
# LOADING (BusyLoadingError); ReadOnlyError is a former primary demoted by a failover.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError, redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError, ConnectionRefusedError)

# Error replies that mean the same: a primary refusing writes for want of replicas
# (min-replicas-to-write), a replica cut from its primary, a server loading its data.
OUTAGE_REPLIES = ("NOREPLICAS", "MASTERDOWN", "LOADING", "READONLY", "TRYAGAIN")

# Set on the response of a handler that kept everything it acknowledges in the local spool
# (on the response: a middleware may hand the handler a clone of the request).
_SPOOLED = web.ResponseKey("crisis_spooled", bool)


def mark_spooled(response: web.StreamResponse) -> web.StreamResponse:
    """The handler wrote nothing to Redis: its acknowledgement rests on the local spool
    (channels/spool.py), so no replica has anything of it to confirm. Returns `response`."""
    response[_SPOOLED] = True
    return response


REDIS_UNAVAILABLE = Counter(
    "crisis_redis_unavailable_total",
    "Requests answered 503 because Redis was unreachable, by reason (unreachable, "
    "not_replicated).", ["reason"])


class _Throttled:
    """Log one line now and then (with how many were not logged), not one per request."""

    def __init__(self) -> None:
        self.last = 0.0
        self.skipped = 0

    def warn(self, message: str, **fields: object) -> None:
        now = time.monotonic()
        if now - self.last < LOG_EVERY_S:
            self.skipped += 1
            return
        log.warning(message, extra={**fields, "not_logged_since": self.skipped})
        self.last, self.skipped = now, 0


_outage_log = _Throttled()
_replication_log = _Throttled()


def is_outage(err: BaseException) -> bool:
    """Whether `err` means "Redis is not there right now" (not a bug of ours)."""
    return isinstance(err, OUTAGE_ERRORS) or (
        isinstance(err, redis.exceptions.RedisError) and str(err).startswith(OUTAGE_REPLIES))


@web.middleware
async def redis_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Redis outage -> TryLater (503 + Retry-After through the error middleware)."""
    try:
        return await handler(request)
    except (redis.exceptions.RedisError, ConnectionRefusedError) as err:
        if not is_outage(err):
            raise  # a real error reply (a bug of ours): the error middleware's 500
        REDIS_UNAVAILABLE.labels("unreachable").inc()
        _outage_log.warn("redis unavailable: answered 503", path=request.path,
                         error=f"{type(err).__name__}: {err}")
        raise TryLater("the service is briefly unavailable; try again shortly",
                       retry_after_s=RETRY_AFTER_S) from err


async def replicas_holding_writes(client: redis.asyncio.Redis, channel: str, wanted: int,
                                  timeout_ms: int = WAIT_MS) -> int:
    """How many replicas confirm they hold every write the primary had made until now.

    WAIT counts the replicas that acknowledged the replication offset of the calling
    connection's last write; a pooled connection may have written nothing, so a PUBLISH
    (propagated to replicas, and no key) on that connection sets the offset to the
    primary's current one first. Replication is one ordered stream: a replica that holds
    the marker holds everything written before it."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.publish(channel, "")
        pipe.execute_command("WAIT", wanted, timeout_ms)
        _published, confirmed = await pipe.execute()
    return int(confirmed)


def replicated_acknowledgement(min_replicas: int) -> Middleware:
    """A middleware holding a webhook's 2xx until `min_replicas` replicas have its writes."""

    @web.middleware
    async def wait_for_replicas(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if not (request.path.startswith("/hooks/") and request.method == "POST"
                and 200 <= response.status < 300) or response.get(_SPOOLED):
            return response
        ctx = request.app[CONTEXT]
        try:
            confirmed = await replicas_holding_writes(
                ctx.redis, MARK_CHANNEL, min_replicas)
        except redis.exceptions.ResponseError as err:  # WAIT on a replica: a demoted primary
            confirmed, reason = 0, str(err)
        else:
            reason = ""
        if confirmed < min_replicas:
            REDIS_UNAVAILABLE.labels("not_replicated").inc()
            _replication_log.warn("webhook not acknowledged: too few replicas hold it",
                                  path=request.path, confirmed=confirmed,
                                  wanted=min_replicas, error=reason)
            raise TryLater("not yet safely recorded; try again shortly",
                           retry_after_s=RETRY_AFTER_S)
        return response

    return wait_for_replicas
