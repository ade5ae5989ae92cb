"""The watch's one intake path: every source writes signals to one bounded Redis Stream
(`watch:signals`, XADD with MAXLEN ~200,000), and one consumer group (`normalise`) reads them,
normalises each once (monitoring/normalise.py), counts it (monitoring/detection.py) and keeps
the latest ones for the situation view.

The stream is bounded: if nobody normalises for long (no events process running), the oldest
raw signals are trimmed rather than filling Redis; the lag (age of the oldest signal not yet
handed to the group) and the length are on /metrics and in the situation view, so a stalled
normaliser shows before anything is trimmed. Delivery is at least once (an entry acknowledged
after its counts are written); a signal that cannot be decoded is counted as rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, cast

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from crisis.stream_ids import stream_id_seconds
from monitoring.detection import add_counts
from monitoring.keys import SIGNALS_MAXLEN, WatchKeys
from monitoring.normalise import NormalisedSignal, normalise
from monitoring.signal import Signal, decode_signal, encode_signal
from monitoring.term_store import CYCLE_S, TermTally, trend_cycle
from monitoring.watchlist import Rumours, Watchlist, keywords_from_hash

log = logging.getLogger(__name__)

GROUP: Final = "normalise"
BATCH: Final = 500
LATEST: Final = 50
_encoder = msgspec.json.Encoder()
Entries = list[tuple[str, dict[str, str]]]


async def add_signals(redis: aioredis.Redis, keys: WatchKeys, signals: Sequence[Signal]) -> int:
    """Write `signals` to the intake stream in one round trip; returns how many."""
    if not signals:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for signal in signals:
            pipe.xadd(keys.signals, {"s": encode_signal(signal)}, maxlen=SIGNALS_MAXLEN,
                      approximate=True)
        pipe.hincrby(keys.totals, "received", len(signals))
        await pipe.execute()
    return len(signals)


async def ensure_group(redis: aioredis.Redis, keys: WatchKeys) -> None:
    try:
        await redis.xgroup_create(keys.signals, GROUP, id="0", mkstream=True)
    except ResponseError as err:
        if "BUSYGROUP" not in str(err):
            raise


async def current_watchlist(redis: aioredis.Redis, keys: WatchKeys, keywords_key: str) -> Watchlist:
    return Watchlist.build(keywords_from_hash(await redis.hvals(keywords_key)),
                           await Rumours(redis, keys).all())


def normalise_entries(entries: Entries, watchlist: Watchlist) -> tuple[list[NormalisedSignal], int]:
    """The batch normalised (CPU only: run in a thread); and how many entries were unreadable."""
    done: list[NormalisedSignal] = []
    rejected = 0
    for entry_id, fields in entries:
        try:
            done.append(normalise(decode_signal(fields["s"]), str(entry_id), watchlist))
        except (KeyError, msgspec.DecodeError, msgspec.ValidationError):
            rejected += 1
    return done, rejected


async def record_normalised(redis: aioredis.Redis, keys: WatchKeys,
                            done: Sequence[NormalisedSignal], rejected: int,
                            entry_ids: Sequence[str]) -> None:
    """Counts, latest signals and totals written, then the entries acknowledged."""
    async with redis.pipeline(transaction=False) as pipe:
        add_counts(pipe, keys, done)
        if done:
            newest = sorted(done, key=lambda s: s.time)[-LATEST:]
            pipe.lpush(keys.latest, *(_encoder.encode(s) for s in newest))
            pipe.ltrim(keys.latest, 0, LATEST - 1)
        totals: Counter[str] = Counter()  # one HINCRBY per field and batch, not per signal
        for signal in done:
            totals[f"source:{signal.source}"] += 1
            totals[f"sentiment:{signal.source}:{signal.sentiment}"] += 1
        for field, count in totals.items():
            pipe.hincrby(keys.totals, field, count)
        pipe.hincrby(keys.totals, "normalised", len(done))
        if rejected:
            pipe.hincrby(keys.totals, "rejected", rejected)
        if entry_ids:
            pipe.xack(keys.signals, GROUP, *entry_ids)
        await pipe.execute()


async def normalise_once(redis: aioredis.Redis, keys: WatchKeys, keywords_key: str, *,
                         consumer: str, block_ms: int | None = 1000, start: str = ">",
                         tally: TermTally | None = None) -> int:
    """Read one batch for `consumer`, normalise and record it (its grams added to `tally`,
    flushed by the caller); returns how many entries."""
    batch = cast(list[tuple[str, Entries]] | None, await redis.xreadgroup(
        GROUP, consumer, {keys.signals: start}, count=BATCH, block=block_ms))
    entries = [entry for _stream, items in batch or [] for entry in items if entry[1]]
    if not entries:
        return 0
    watchlist = await current_watchlist(redis, keys, keywords_key)
    done, rejected = await asyncio.to_thread(normalise_entries, entries, watchlist)
    await record_normalised(redis, keys, done, rejected, [str(e) for e, _ in entries])
    if tally is not None:
        tally.add(done)
    return len(entries)


async def run_normaliser(redis: aioredis.Redis, keys: WatchKeys, keywords_key: str,
                         consumer: str, stop: asyncio.Event) -> None:
    """Normalise until `stop`: first this consumer's own unacknowledged entries (a restart),
    then new ones. Redis away: wait and go on; a bug in one batch: logged, the batch left
    pending (it is read again at the next start), the loop goes on."""
    pause = 0.1
    resume = True
    tally = TermTally()
    next_cycle = 0.0
    while not stop.is_set():
        try:
            await ensure_group(redis, keys)
            while resume and await normalise_once(redis, keys, keywords_key, consumer=consumer,
                                                  block_ms=None, start="0", tally=tally):
                pass
            resume = False
            await normalise_once(redis, keys, keywords_key, consumer=consumer, tally=tally)
            if tally.due():
                await tally.flush(redis, keys)
            if time.monotonic() >= next_cycle:
                next_cycle = time.monotonic() + CYCLE_S
                await trend_cycle(redis, keys)
            pause = 0.1
        except (RedisConnectionError, RedisTimeoutError):
            log.warning("signal normaliser lost redis; retrying", exc_info=True)
            resume = True
        except Exception:  # the process edge of this loop: never stop the watch on one batch
            log.exception("signal normaliser failed on a batch")
        else:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        pause = min(pause * 2, 5.0)


async def intake_figures(redis: aioredis.Redis, keys: WatchKeys) -> dict[str, Any]:
    """The stream's length, the normaliser's lag (seconds) and pending count, and the totals."""
    length = int(await redis.xlen(keys.signals))
    lag_s = 0.0
    pending = 0
    try:
        groups = await redis.xinfo_groups(keys.signals)
    except ResponseError:
        groups = []
    for group in groups:
        if str(group["name"]) != GROUP:
            continue
        pending = int(group.get("pending") or 0)
        oldest = await redis.xrange(keys.signals, min=f"({group['last-delivered-id']}", count=1)
        if oldest:
            lag_s = max(0.0, time.time() - stream_id_seconds(oldest[0][0]))
    if not groups and length:  # nobody has ever normalised: the oldest entry's age
        first = cast(list[tuple[str, Any]], await redis.xrange(keys.signals, count=1))
        lag_s = max(0.0, time.time() - stream_id_seconds(first[0][0]))
    totals = {_text(k): int(v) for k, v in (await redis.hgetall(keys.totals)).items()}
    return {"length": length, "maxlen": SIGNALS_MAXLEN, "lag_s": round(lag_s, 3),
            "pending": pending, "received": totals.get("received", 0),
            "normalised": totals.get("normalised", 0), "rejected": totals.get("rejected", 0),
            "totals": totals}


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
