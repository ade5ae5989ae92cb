"""The watch's Mastodon source: for each watch keyword of the live crises, the hashtag timeline
and (with MASTODON_ACCESS_TOKEN, which Mastodon's search requires) the statuses search, read
through Mastodon.py, each status once, into the intake.

- Reading forward: each query keeps the newest status id read (`watch:mastodon:cursors`) and
  asks for `min_id=` it, so the next run gets exactly what came after, page by page (at most
  MAX_PAGES a query and run; a burst is read over the next runs, never skipped). A query read
  for the first time takes the newest page only: the watch is about now, not the archive.
- Each status once: deduplicated by URI across queries (`watch:mastodon:seen`, bounded).
- Rate limits: Mastodon.py runs with ratelimit_method="throw", so it never sleeps in a worker.
  After each answer the budget it read (X-RateLimit-Remaining / Reset) is kept in Redis; once
  it is spent, or on a 429, the run stops and the next run is scheduled at the reset: no
  request is sent while the budget is spent.
- Failures (unreachable, timeout, 5xx, an answer that is not JSON, a refused token) mark the
  source unhealthy with the reason, and the next run backs off (interval x 2^failures, at most
  an hour); no other source is touched.

`watch_mastodon_job` is the RQ job, one chain (each run schedules the next, like the feeds);
monitoring/mastodon_state.py starts a chain when none is alive. Mastodon.py is synchronous (requests): every call runs
in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from typing import Any, Final

import redis.asyncio as aioredis
import requests
from mastodon import Mastodon
from mastodon.errors import (MastodonAPIError, MastodonError, MastodonNetworkError,
                             MastodonNotFoundError, MastodonRatelimitError,
                             MastodonServerError, MastodonUnauthorizedError)

from crisis.errors import ChannelError, ConfigError, InvalidInput
from crisis.jobs import Jobs
from crisis.redis_client import sync_redis
from crisis.settings import Settings
from crisis.worker_context import WorkerContext, with_worker_context
from monitoring.intake import add_signals
from monitoring.keys import WatchKeys
from monitoring.mastodon_state import JOB, mastodon_state, text_of
from monitoring.mastodon_statuses import hashtag_of, id_order, signal_of, status_id
from monitoring.signal import Signal
from monitoring.watch_keywords import keywords_key_of
from monitoring.watchlist import keywords_from_hash

log = logging.getLogger(__name__)

PAGE: Final = 40  # Mastodon's largest page
MAX_PAGES: Final = 5
MAX_KEYWORDS: Final = 50
MAX_SEARCH_CHARS: Final = 100
SEEN_KEPT: Final = 20_000
REQUEST_TIMEOUT_S: Final = 20
MAX_ANSWER_BYTES: Final = 5 * 1024 * 1024
MAX_BACKOFF_S: Final = 3600
USER_AGENT: Final = "crisis-centre-watch/0.1 (Mastodon.py)"


class RateLimited(Exception):
    """The instance's budget is spent until `reset` (epoch seconds)."""

    def __init__(self, reset: float, why: str) -> None:
        super().__init__(why)
        self.reset = reset


@dataclasses.dataclass(frozen=True)
class Query:
    kind: str  # "tag" or "search"
    value: str

    @property
    def field(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclasses.dataclass(frozen=True)
class WatchOutcome:
    ok: bool
    health: str
    new_statuses: int = 0
    skipped: int = 0
    queries: int = 0
    reason: str = ""
    resume_at: float | None = None  # the rate limit's reset, when the run stopped on it


def queries_for(keywords: set[str], *, with_search: bool) -> list[Query]:
    """A hashtag timeline per keyword (one per distinct hashtag), and a search per keyword
    when a token allows it; at most MAX_KEYWORDS keywords, in a stable order."""
    chosen = sorted(k.strip() for k in keywords if k.strip())[:MAX_KEYWORDS]
    tags = dict.fromkeys(tag for tag in map(hashtag_of, chosen) if tag)
    out = [Query("tag", tag) for tag in tags]
    if with_search:
        out += [Query("search", k[:MAX_SEARCH_CHARS]) for k in chosen]
    return out


class AnswerTooLarge(requests.RequestException):
    """An answer over MAX_ANSWER_BYTES (decompressed): read no further."""


class BoundedSession(requests.Session):
    """requests' Session reading each answer as a stream, decompressed, up to
    MAX_ANSWER_BYTES: an instance (or a proxy in front of it) answering without end, or a
    gzip bomb, costs at most that much memory. Mastodon.py reads `.content` afterwards."""

    def request(self, method: str, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body.extend(chunk)
            if len(body) > MAX_ANSWER_BYTES:
                response.close()
                raise AnswerTooLarge(f"answer larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB")
        response._content = bytes(body)
        return response


def client_for(settings: Settings) -> Mastodon:
    """The Mastodon.py client: "throw" on rate limits (the job reschedules instead of
    sleeping), version checks off (the watch calls two endpoints every Mastodon since 3.0
    has; "created" would cost an extra /api/v1/instance request for nothing)."""
    if not settings.mastodon_api_base:
        raise ConfigError("MASTODON_API_BASE is not set: the watch's Mastodon source is off")
    token = settings.mastodon_access_token
    return Mastodon(api_base_url=settings.mastodon_api_base,
                    access_token=token.reveal() if token is not None else None,
                    ratelimit_method="throw", request_timeout=REQUEST_TIMEOUT_S,
                    version_check_mode="none", user_agent=USER_AGENT,
                    session=BoundedSession())


def _budget_spent(api: Mastodon) -> float | None:
    """The reset time when the last answer said the budget is spent, else None."""
    reset = api.ratelimit_reset
    if api.ratelimit_remaining <= 0 and reset is not None and reset > time.time():
        return float(reset)
    return None


def read_query(api: Mastodon, query: Query, cursor: str) -> tuple[list[Any], str]:
    """(statuses newer than `cursor`, the new cursor). Blocking: run it in a thread.
    Raises RateLimited when the budget is spent (what was read so far is returned with it
    on the next call: the cursor only moves over what was handed back)."""
    found: list[Any] = []
    for _ in range(MAX_PAGES):
        if (reset := _budget_spent(api)) is not None:
            if found:
                break  # hand back what was read; the next call raises before any request
            raise RateLimited(reset, "rate limit spent (X-RateLimit-Remaining 0)")
        kwargs: dict[str, Any] = {"limit": PAGE}
        if cursor:
            kwargs["min_id"] = cursor
        if query.kind == "tag":
            page: Any = api.timeline_hashtag(query.value, **kwargs)
        else:
            result = api.search_v2(query.value, result_type="statuses", resolve=False, **kwargs)
            page = result.get("statuses") if isinstance(result, dict) else None
        if not isinstance(page, list):
            raise MastodonAPIError(f"the {query.kind} answer is not a list of statuses")
        found += page
        ids = [i for i in map(status_id, page) if i]
        if not cursor and not ids:
            break
        if ids:
            cursor = max([cursor, *ids], key=id_order) if cursor else max(ids, key=id_order)
        if not kwargs.get("min_id") or len(page) < PAGE or query.kind == "search":
            # First read (newest page only), nothing more after this page, or a search:
            # its results come newest first, so a second page after min_id would not follow.
            break
    return found, cursor


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why a run failed: the English text (logs, the command line, the API) and a code with
    its detail, which the cell's pages say in their language (`mastodon.reason.<code>`)."""

    code: str
    text: str
    detail: str = ""


def _reason(error: BaseException) -> Reason:
    if isinstance(error, MastodonUnauthorizedError):
        return Reason("token", "token refused by the instance (HTTP 401): check MASTODON_ACCESS_TOKEN")
    if isinstance(error, MastodonNetworkError):
        detail = str(error).removeprefix("Could not complete request: ")
        if "answer larger than" in detail:
            mib = str(MAX_ANSWER_BYTES // (1024 * 1024))
            return Reason("too_large", f"{detail[detail.index('answer larger than'):][:60]}: not read", mib)
        if "timed out" in detail.lower():
            return Reason("timeout", f"no answer within {REQUEST_TIMEOUT_S} s (timeout)",
                          str(REQUEST_TIMEOUT_S))
        return Reason("unreachable", f"unreachable: {detail[:160]}", detail[:160])
    if isinstance(error, MastodonServerError):
        status = str(error.args[1] if len(error.args) > 1 else "5xx")
        return Reason("http", f"HTTP {status} from the instance", status)
    if isinstance(error, MastodonAPIError) and str(error.args[0] if error.args else "").startswith(
            "Could not parse"):
        return Reason("not_json", "the instance answered something that is not JSON")
    if isinstance(error, MastodonAPIError) and len(error.args) > 1:
        detail = f"{error.args[1]}: {str(error.args[-1])[:120]}"
        return Reason("http", f"HTTP {error.args[1]} from the instance: {str(error.args[-1])[:120]}",
                      detail)
    return Reason("other", f"{type(error).__name__}: {str(error)[:160]}",
                  f"{type(error).__name__}: {str(error)[:160]}")


def check_instance(api: Mastodon, keywords: list[str], *, with_search: bool) -> list[str]:
    """`crisis mastodon check`: what the watch would read, as lines for a person; nothing is
    written. Blocking (run it in a thread). ChannelError with the reason when it fails."""
    try:
        try:
            info: Any = api.instance_v2()
        except MastodonNotFoundError:  # Mastodon before 4.0
            info = api.instance_v1()
        domain = info.get("domain") or info.get("uri") or "?"
        lines = [f"instance  {domain}, version {info.get('version', '?')}: reachable"]
        for keyword in keywords[:MAX_KEYWORDS]:
            tag = hashtag_of(keyword)
            page = api.timeline_hashtag(tag, limit=PAGE) if tag else []
            lines.append(f"hashtag   #{tag}: {len(page)} recent statuses" if tag else
                         f"hashtag   none for {keyword!r} (digits only)")
        if with_search:
            found = api.search_v2(keywords[0] if keywords else "crise", result_type="statuses",
                                  resolve=False, limit=PAGE)
            lines.append(f"search    token accepted ({len(found.get('statuses') or [])} "
                         "statuses for the first keyword)")
        else:
            lines.append("search    off (no MASTODON_ACCESS_TOKEN: hashtags only)")
    except MastodonRatelimitError:
        raise ChannelError("the instance's rate limit is spent; try after its reset",
                           retryable=True) from None
    except MastodonError as error:
        raise ChannelError(_reason(error).text, retryable=not isinstance(
            error, MastodonUnauthorizedError)) from None
    reset = api.ratelimit_reset
    until = dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("%H:%M:%S UTC") if reset else "?"
    lines.append(f"budget    {api.ratelimit_remaining} of {api.ratelimit_limit} requests left "
                 f"until {until}")
    return lines


async def _keep_new(redis: aioredis.Redis, keys: WatchKeys,
                    entries: list[tuple[str, Signal]], now: dt.datetime) -> list[Signal]:
    if not entries:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for key, _ in entries:
            pipe.zadd(keys.mastodon_seen, {key: now.timestamp()}, nx=True)
        added = await pipe.execute()
    await redis.zremrangebyrank(keys.mastodon_seen, 0, -SEEN_KEPT - 1)
    return [signal for (_, signal), new in zip(entries, added) if new]


async def read_mastodon(redis: aioredis.Redis, keys: WatchKeys, api: Mastodon,
                        keywords: set[str], *, with_search: bool) -> WatchOutcome:
    """One run over every query: new statuses into the intake, cursors and health updated."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.isoformat(timespec="seconds")
    state = await mastodon_state(redis, keys)
    queries = queries_for(keywords, with_search=with_search)
    # The query a spent budget stopped at goes first: with more queries than one budget
    # holds, each is read in turn rather than the last ones never.
    first = next((i for i, q in enumerate(queries) if q.field == state.get("resume_query")), 0)
    queries = queries[first:] + queries[:first]
    await redis.hset(keys.mastodon_state, mapping={"last_try": stamp, "queries": len(queries)})
    stored_reset = float(state.get("rate_reset") or 0)
    if state.get("rate_remaining") == "0" and stored_reset > time.time():
        return await _limited(redis, keys, stored_reset, 0, 0, len(queries))
    cursors = {text_of(k): text_of(v) for k, v in
               (await redis.hgetall(keys.mastodon_cursors)).items()}
    stale = [field for field in cursors if field not in {q.field for q in queries}]
    if stale:
        await redis.hdel(keys.mastodon_cursors, *stale)  # keywords of a closed crisis
    fresh = skipped = 0
    query = queries[0] if queries else None
    try:
        for query in queries:
            statuses, cursor = await asyncio.to_thread(read_query, api, query,
                                                       cursors.get(query.field, ""))
            entries: list[tuple[str, Signal]] = []
            for status in statuses:
                try:
                    entries.append(signal_of(status, now))
                except (InvalidInput, ValueError, TypeError):
                    skipped += 1
            fresh += await add_signals(redis, keys, await _keep_new(redis, keys, entries, now))
            if cursor:
                await redis.hset(keys.mastodon_cursors, query.field, cursor)
            await _remember_budget(redis, keys, api)
    except RateLimited as limited:
        await redis.hset(keys.mastodon_state, "resume_query", query.field if query else "")
        return await _limited(redis, keys, limited.reset, fresh, skipped, len(queries))
    except MastodonRatelimitError:  # a 429: Mastodon.py read the reset from its headers
        await redis.hset(keys.mastodon_state, "resume_query", query.field if query else "")
        await _remember_budget(redis, keys, api)
        reset = api.ratelimit_reset or time.time() + next_delay_s(60, int(state.get("failures") or 0))
        return await _limited(redis, keys, float(reset), fresh, skipped, len(queries), status=429)
    except MastodonError as error:
        await _remember_budget(redis, keys, api)
        return await _failed(redis, keys, _reason(error), fresh, skipped, len(queries))
    await redis.hset(keys.mastodon_state, mapping={
        "health": "ok", "reason": "" if queries else "no watch keyword (no live crisis)",
        "reason_code": "" if queries else "no_keyword", "reason_detail": "",
        "failures": 0, "last_ok": stamp, "resume_query": ""})
    await _count(redis, keys, fresh, skipped)
    return WatchOutcome(ok=True, health="ok", new_statuses=fresh, skipped=skipped,
                        queries=len(queries))


async def _remember_budget(redis: aioredis.Redis, keys: WatchKeys, api: Mastodon) -> None:
    await redis.hset(keys.mastodon_state, mapping={
        "rate_remaining": int(api.ratelimit_remaining),
        "rate_reset": f"{api.ratelimit_reset or 0:.0f}"})


async def _count(redis: aioredis.Redis, keys: WatchKeys, fresh: int, skipped: int) -> None:
    if fresh:
        await redis.hincrby(keys.mastodon_state, "statuses", fresh)
    if skipped:
        await redis.hincrby(keys.mastodon_state, "skipped", skipped)


async def _limited(redis: aioredis.Redis, keys: WatchKeys, reset: float, fresh: int,
                   skipped: int, queries: int, *, status: int = 0) -> WatchOutcome:
    until = dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("%H:%M:%S UTC")
    reason = (f"rate limited (HTTP 429); next read at {until}" if status == 429
              else f"rate limit spent; next read at {until}")
    await redis.hset(keys.mastodon_state, mapping={"health": "limited", "reason": reason,
                                                   "reason_code": "limited_429" if status == 429
                                                   else "limited", "reason_detail": "",
                                                   "rate_remaining": 0, "rate_reset": f"{reset:.0f}"})
    await _count(redis, keys, fresh, skipped)
    log.info("mastodon rate limited", extra={"until": until})
    return WatchOutcome(ok=True, health="limited", new_statuses=fresh, skipped=skipped,
                        queries=queries, reason=reason, resume_at=reset)


async def _failed(redis: aioredis.Redis, keys: WatchKeys, reason: Reason, fresh: int,
                  skipped: int, queries: int) -> WatchOutcome:
    await redis.hset(keys.mastodon_state, mapping={"health": "unhealthy", "reason": reason.text,
                                                   "reason_code": reason.code,
                                                   "reason_detail": reason.detail})
    await redis.hincrby(keys.mastodon_state, "failures", 1)
    await _count(redis, keys, fresh, skipped)
    log.warning("mastodon read failed", extra={"reason": reason.text})
    return WatchOutcome(ok=False, health="unhealthy", new_statuses=fresh, skipped=skipped,
                        queries=queries, reason=reason.text)


def next_delay_s(every_s: int, failures: int) -> int:
    """The interval; after failures, doubled per failure in a row, at most an hour."""
    return int(min(every_s * 2 ** min(failures, 10), max(MAX_BACKOFF_S, every_s)))


def delay_after(outcome: WatchOutcome, every_s: int, failures: int) -> int:
    """Seconds to the next run: at the rate limit's reset (plus a second for clock skew),
    else the interval or the back-off."""
    if outcome.resume_at is not None:
        return max(1, int(outcome.resume_at - time.time()) + 1)
    return next_delay_s(every_s, failures)


def _jobs(context: WorkerContext) -> Jobs:
    return Jobs(sync_redis(context.redis_url, decode=False), context.keys)


@with_worker_context
async def watch_mastodon_job(context: WorkerContext, chain: str) -> dict[str, Any]:
    """The RQ job: one run if `chain` is still the chain, then the next run scheduled."""
    settings = context.settings
    keys = WatchKeys(context.keys)
    state = await mastodon_state(context.redis, keys)
    if not settings.mastodon_api_base or state.get("chain") != chain:
        return {"stopped": chain}
    api = context.resource("watch-mastodon", lambda built: client_for(built.settings))
    outcome = WatchOutcome(ok=False, health="unhealthy", reason="run interrupted")
    try:
        keywords = keywords_from_hash(await context.redis.hvals(keywords_key_of(context.keys)))
        outcome = await read_mastodon(context.redis, keys, api, keywords,
                                      with_search=settings.mastodon_access_token is not None)
    finally:
        failures = int((await mastodon_state(context.redis, keys)).get("failures") or 0)
        delay = delay_after(outcome, settings.mastodon_every_s, failures)
        await context.redis.hset(keys.mastodon_state, mapping={
            "next_s": delay, "due": f"{time.time() + delay:.0f}"})
        await asyncio.to_thread(context.resource("watch-jobs", _jobs).enqueue_in,
                                dt.timedelta(seconds=delay), JOB, chain)
    return dataclasses.asdict(outcome)
