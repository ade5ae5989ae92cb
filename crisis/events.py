"""The event bus: two Redis Streams, one consumer group per subscriber.

Every web process runs one consumer per group, so each event is handled once per group
however many processes run, and events written while nobody listened are read at restart.
A handler that keeps failing does not block the stream: after MAX_ATTEMPTS the event goes to
a dead-letter stream (`events:dead:{group}`) and is logged.

Conversations' events (`conversation.*`: several per citizen's message) have a stream of their
own, read only by the groups that handle some of them; every other event (crisis, publications,
knowledge base, accounts: a few a minute) goes to the main stream, which every group reads. A
flood of SMS then costs the site builder, the alerts or the greetings nothing (five of the eight
groups read every SMS's events for nothing: with the others, a quarter of Redis's time in a drain). One subject's
events are all of one kind, so they stay in one stream, in order. Within a stream, a
subscription names the event types it handles, and the others are acknowledged without being
decoded. Acknowledgements go in one XACK per batch read (at-least-
once delivery either way: a process that dies mid-batch has its unacknowledged events
claimed by another one); the consumer loop sends a batch's XACK with its next read, in one
round trip. A group may also give a BatchHandler, which sees a read's events together first
(the inbound pipeline handles them in phases: a few round trips for the whole batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable, Collection
from typing import Any, cast

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from crisis.keys import Keys
from crisis.types import Event, EventType, utcnow

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
# Handles what it can of the events of one read (in stream order) and returns the ones it
# left, which then go to the group's Handler one at a time. It may take an event only when it
# takes every earlier event of the same subject in the batch (one subject's order), and must
# not fail half-way on anything but a Redis outage: any other failure hands the whole batch
# to the Handler, so both must be safe to run again on a handled event. A group with one has
# IN_FLIGHT reads handled at once, like as many processes sharing the group: one subject's
# order across reads is the handlers' to keep (the inbound pipeline's turns,
# channels/inbound_order.py, which already order a conversation across processes).
BatchHandler = Callable[[list[Event]], Awaitable[list[Event]]]

STREAM_MAXLEN = 100_000  # the main stream's length (crisis events: a few a minute)
# The conversations' stream is never cut by length: an event no group has read yet (the
# message of a citizen not yet answered nor queued) must not be trimmed away behind a surge.
# It is cut instead to what every group has read (`trim_delivered`, every 2 s), and the
# citizens' messages are refused (503, the provider retries; channels/store_receive.lua)
# while CONVERSATION_BACKLOG_LIMIT events wait in it: about 50,000 SMS auto-answered (two
# events each), a minute of one events process's work.
CONVERSATION_BACKLOG_LIMIT = 100_000
# The last resort against memory running away if events other than the citizens' messages
# pile up (they are not refused): several times the limit, never reached in normal work.
CONVERSATION_STREAM_CAP = 1_000_000
# A group no process of this version runs is still waited for by the trim while one of its
# consumers read within this (another version's, during a rolling upgrade).
LIVE_READER_MS = 60_000
CONVERSATION_TYPES_PREFIX = "conversation."  # these events go to Keys.conversation_events
MAX_ATTEMPTS = 3
HANDLER_CONCURRENCY = 16  # subjects handled at once per group and process
IN_FLIGHT = 2  # reads handled at once by a group with a batch handler (see BatchHandler)
# After a read holding none of a group's events, the group waits this long before the next
# (see _consume_until_error): the latency those events may gain while the stream is busy.
SKIPPING_PAUSE_S = 0.1
READ_COUNT = 100  # events per read of a group
# A message pending this long belongs to a consumer that died: another one takes it over.
CLAIM_IDLE_MS = 30_000

# Redis away (restart, failover, network): the consumer waits and reconnects instead of
# ending; its back-off doubles from the first to the last value.
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ReadOnlyError)
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 2.0

# The subject, read without decoding the whole event, to keep one subject's events in order.
_SUBJECT = re.compile(r'"subject":"((?:[^"\\]|\\.)*)"')
# The type, read the same way, to skip events a group does not handle.
_TYPE = re.compile(r'"type":"((?:[^"\\]|\\.)*)"')
_encoder = msgspec.json.Encoder()
Entry = tuple[str, dict[str, str]]  # a stream entry: its id and fields
Read = list[tuple[str, list[Entry]]] | None  # what XREADGROUP returns: entries by stream
_decoder = msgspec.json.Decoder(Event)


@dataclasses.dataclass(frozen=True, slots=True)
class _Handlers:
    """A group's handlers: `one` for an event, `batch` (optional) for a read's events first."""

    one: Handler
    batch: BatchHandler | None = None


def make_event(
    type_: EventType, *, actor: str, subject: str, reason: str = "", **data: Any
) -> Event:
    """An event stamped now."""
    return Event(type=type_, at=utcnow(), actor=actor, subject=subject, reason=reason, data=data)


def _entry_id(value: str) -> tuple[int, int]:
    """A stream entry id as a comparable pair ("0-0" for a group that read nothing)."""
    ms, _, seq = value.partition("-")
    return int(ms or 0), int(seq or 0)


def consumer_name() -> str:
    """Unique per process, readable in XINFO output."""
    return f"{socket.gethostname()}-{os.getpid()}"


class EventBus:
    """Writes events to the stream and runs subscribers' consumer loops."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        # Enough to overlap Redis round trips, few enough to leave connections for requests.
        self._concurrency = asyncio.Semaphore(HANDLER_CONCURRENCY)

    def stream_for(self, type_: str) -> str:
        """The stream an event of this type is written to (a Lua script writing one is given
        this key)."""
        return (self.keys.conversation_events if type_.startswith(CONVERSATION_TYPES_PREFIX)
                else self.keys.events)

    @property
    def streams(self) -> tuple[str, str]:
        """Both streams: the main one first."""
        return self.keys.events, self.keys.conversation_events

    def streams_read(self, wanted: Collection[str] | None) -> tuple[str, ...]:
        """The streams a group handling `wanted` types (all when None) reads. Always the main
        one: it is small, and it still holds the conversation events written before the
        streams were split, which a conversation group must not lose on an upgrade."""
        if wanted is None or any(self.stream_for(t) == self.keys.conversation_events
                                 for t in wanted):
            return self.streams
        return (self.keys.events,)

    def maxlen_of(self, stream: str) -> int:
        """The length the stream is cut to when an event is added (see STREAM_MAXLEN)."""
        return CONVERSATION_STREAM_CAP if stream == self.keys.conversation_events else STREAM_MAXLEN

    def add_to(self, pipe: aioredis.client.Pipeline, event: Event) -> None:
        """Queue the event on a transaction pipeline, so it is written with the change."""
        stream = self.stream_for(event.type)
        pipe.xadd(stream, {"event": _encoder.encode(event)},
                  maxlen=self.maxlen_of(stream), approximate=True)

    async def publish(self, event: Event) -> str:
        """Write one event on its own; returns its stream id."""
        stream = self.stream_for(event.type)
        entry_id = await self.redis.xadd(
            stream, {"event": _encoder.encode(event)},
            maxlen=self.maxlen_of(stream), approximate=True,
        )
        return str(entry_id)

    async def trim_delivered(self, subscribed: Collection[str] | None = None) -> int:
        """Cut the conversations' stream to the events some group has not read or not
        acknowledged yet (XTRIM MINID, exact: every 2 s it costs little, and the stream's
        length is then the backlog the receive script bounds); returns how many went. Any
        process may call it, as often as it likes. The `subscribed` groups are waited for
        (None: every group on the stream), and any other group only while one of its
        consumers read within LIVE_READER_MS: a group nothing runs any more (the telephone's
        once Twilio is switched off, one a later version renamed) would otherwise hold the
        stream until citizens' messages are refused, while one that another version's
        processes run (a group added by a rolling upgrade, read by the new version only) must
        not lose what it has not read. A stream none of them has read yet is left alone: the
        first events process reads it from its start."""
        stream = self.keys.conversation_events
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:  # no stream yet
            return 0
        if subscribed is not None:
            groups = [g for g in groups
                      if str(g["name"]) in subscribed or await self._read_lately(stream, g)]
        if not groups:
            return 0
        bounds = []
        for group in groups:
            ms, seq = _entry_id(str(group["last-delivered-id"]))
            bound = (ms, seq + 1)  # the first id after the last it read
            if int(group.get("pending") or 0):  # read, not acknowledged: kept for a claim
                summary = await self.redis.xpending(stream, str(group["name"]))
                if summary.get("min"):
                    bound = min(bound, _entry_id(str(summary["min"])))
            bounds.append(bound)
        oldest = min(bounds)
        if oldest <= (0, 1):  # a group that read nothing yet
            return 0
        return int(await self.redis.xtrim(stream, minid=f"{oldest[0]}-{oldest[1]}",
                                          approximate=False))

    async def _read_lately(self, stream: str, group: dict[str, Any]) -> bool:
        """Whether some consumer of `group` asked for events within LIVE_READER_MS (a
        blocking read counts: an idle reader asks every second)."""
        if not int(group.get("consumers") or 0):
            return False
        consumers = await self.redis.xinfo_consumers(stream, str(group["name"]))
        return any(int(consumer.get("idle") or 0) < LIVE_READER_MS for consumer in consumers)

    async def conversation_backlog(self) -> int:
        """Events of the conversations' stream some group has not read or acknowledged (and
        those read since the last trim)."""
        return int(await self.redis.xlen(self.keys.conversation_events))

    async def ensure_group(self, group: str,
                           types: Collection[str] | None = None) -> None:
        """Create the group at the start of the streams it reads (so nothing written before is
        missed)."""
        for stream in self.streams_read(types):
            try:
                await self.redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as err:
                if "BUSYGROUP" not in str(err):
                    raise

    async def consume(
        self, group: str, handler: Handler, *, stop: asyncio.Event,
        consumer: str | None = None, block_ms: int = 1000,
        types: Collection[EventType] | None = None, batch: BatchHandler | None = None,
    ) -> None:
        """Feed every event of the stream to `handler`, once per group, until `stop` is set;
        with `types`, only events of those types (the others are acknowledged unread); with
        `batch`, each read's events go to it first, and those it leaves to `handler`."""
        wanted = frozenset(types) if types is not None else None
        name = consumer or consumer_name()
        pause = RECONNECT_FIRST_S
        lost = False

        def reconnected() -> None:
            nonlocal pause, lost
            if lost:
                log.info("event consumer reconnected to redis", extra={"group": group})
            pause, lost = RECONNECT_FIRST_S, False

        while not stop.is_set():
            try:
                await self._consume_until_error(group, name, _Handlers(handler, batch), wanted,
                                                stop, block_ms, resume=lost,
                                                connected=reconnected)
                return
            except OUTAGE_ERRORS as err:
                # A restart, a failover or a cut: wait, then read this consumer's own
                # pending events again (handed but not acknowledged before the cut).
                if not lost:
                    log.warning("event consumer lost redis; reconnecting", extra={
                        "group": group, "error": f"{type(err).__name__}: {err}"})
                lost = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, RECONNECT_MAX_S)

    async def _consume_until_error(
        self, group: str, name: str, handler: _Handlers, wanted: frozenset[str] | None,
        stop: asyncio.Event, block_ms: int, *, resume: bool, connected: Callable[[], None],
    ) -> None:
        streams = self.streams_read(wanted)
        await self.ensure_group(group, wanted)
        if resume:
            await self._deliver_own_pending(group, name, streams, handler, wanted)
        connected()
        next_claim = 0.0
        loop = asyncio.get_running_loop()
        handled: dict[str, list[str]] = {}  # acknowledged with the next read, in its round trip
        # With a batch handler, the next read's events start while the previous ones' still
        # wait for Redis (at most IN_FLIGHT reads): its phases are mostly round trips, and
        # one read at a time left the process idle a fifth of the time under a flood.
        in_flight: list[tuple[asyncio.Task[int], str, list[str]]] = []
        try:
            while not stop.is_set():
                if loop.time() >= next_claim:
                    for stream in streams:
                        await self._claim_abandoned(group, name, stream, handler, wanted)
                    next_claim = loop.time() + CLAIM_IDLE_MS / 1000
                # Not blocking while events are in flight: they are acknowledged sooner.
                read = await self._acknowledge_and_read(group, name, streams, handled,
                                                        None if in_flight else block_ms)
                handled = {}
                read = [(stream, items) for stream, items in read or [] if items]
                if handler.batch is None:
                    delivered = 0
                    for stream, items in read:
                        delivered += await self._deliver_batch(group, stream, items, handler,
                                                               wanted, acknowledge=False)
                        handled[stream] = [entry_id for entry_id, _ in items]
                    if read and not delivered and all(len(items) < READ_COUNT
                                                      for _, items in read):
                        # A flow of other groups' events (citizens' SMS), and this group
                        # caught up: read it in larger batches, a read and an acknowledgement
                        # per SKIPPING_PAUSE_S instead of one per few events (the groups'
                        # reads were a third of Redis's time in a drain). What this group
                        # handles may wait that much more; a full read goes on at once, so
                        # a flood never leaves the group behind.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), SKIPPING_PAUSE_S)
                    continue
                for stream, items in read:
                    in_flight.append((asyncio.create_task(self._deliver_batch(
                        group, stream, items, handler, wanted, acknowledge=False)),
                        stream, [entry_id for entry_id, _ in items]))
                # The oldest first: an entry is acknowledged only once handled.
                while in_flight and (len(in_flight) >= IN_FLIGHT or not read):
                    task, stream, ids = in_flight.pop(0)
                    await task
                    handled.setdefault(stream, []).extend(ids)
            for task, stream, ids in in_flight:  # stopping: what is in flight ends, acknowledged
                await task
                handled.setdefault(stream, []).extend(ids)
            in_flight.clear()
        finally:
            # A failure (Redis away) leaves what was in flight unacknowledged: ended first,
            # then delivered again on reconnection (`_deliver_own_pending`).
            for task, _, _ in in_flight:
                task.cancel()
            await asyncio.gather(*(task for task, _, _ in in_flight), return_exceptions=True)
        for stream, ids in handled.items():
            await self.redis.xack(stream, group, *ids)

    async def _acknowledge_and_read(
        self, group: str, name: str, streams: tuple[str, ...], handled: dict[str, list[str]],
        block_ms: int | None,
    ) -> Read:
        """Acknowledge the batch just handled and read the next one, in one round trip (a
        group reading small batches under load did each once per batch). Redis runs the XACK
        before the read blocks, so nothing handled waits for an acknowledgement."""
        fresh: dict[Any, Any] = dict.fromkeys(streams, ">")  # redis-py wants an invariant type
        if not handled:
            return cast(Read, await self.redis.xreadgroup(group, name, fresh, count=READ_COUNT,
                                                          block=block_ms))
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, ids in handled.items():
                pipe.xack(stream, group, *ids)
            pipe.xreadgroup(group, name, fresh, count=READ_COUNT, block=block_ms)
            replies = await pipe.execute()
        return cast(Read, replies[-1])

    async def _deliver_own_pending(self, group: str, name: str, streams: tuple[str, ...],
                                   handler: _Handlers, wanted: frozenset[str] | None) -> None:
        """Events this consumer was handed and did not acknowledge (id "0": its own pending
        list), delivered again, oldest first."""
        for stream in streams:
            while True:
                read = cast(Read, await self.redis.xreadgroup(group, name, {stream: "0"},
                                                              count=READ_COUNT))
                entries = [entry for _stream, items in read or [] for entry in items]
                if not entries:
                    break
                await self._deliver_batch(group, stream, entries, handler, wanted)

    async def _deliver_batch(self, group: str, stream: str, entries: list[Entry],
                             handler: _Handlers, wanted: frozenset[str] | None, *,
                             acknowledge: bool = True) -> int:
        """Events about different subjects run concurrently (a handler mostly waits on Redis);
        events about one subject (a conversation, a crisis) keep their order. The whole batch
        is acknowledged at the end, in one command (by the caller, without `acknowledge`).
        Returns how many of the entries the group handles (`wanted`)."""
        by_subject: dict[str, list[Entry]] = {}
        chosen: list[Entry] = []  # the wanted ones, in stream order
        for entry_id, fields in entries:
            if not fields:
                continue  # trimmed from the stream before it was claimed: nothing to deliver
            raw = fields.get("event", "")
            if wanted is not None:
                kind = _TYPE.search(raw)
                if kind is not None and kind.group(1) not in wanted:
                    continue
            match = _SUBJECT.search(raw)
            by_subject.setdefault(match.group(1) if match else entry_id, []).append(
                (entry_id, fields))
            chosen.append((entry_id, fields))
        if handler.batch is not None and chosen:
            by_subject = await self._deliver_together(group, chosen, by_subject, handler.batch)

        async def in_order(items: list[Entry]) -> None:
            for entry_id, fields in items:
                await self._deliver(group, entry_id, fields, handler.one)

        async def bounded(items: list[Entry]) -> None:
            async with self._concurrency:
                await in_order(items)

        # Every subject's run ends before a failure is raised (none is left running unseen);
        # a Redis outage in any of them leaves the whole batch unacknowledged.
        outcomes = await asyncio.gather(*(bounded(items) for items in by_subject.values()),
                                        return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if entries and acknowledge:
            await self.redis.xack(stream, group, *(entry_id for entry_id, _ in entries))
        return len(chosen)

    async def _deliver_together(
        self, group: str, entries: list[tuple[str, dict[str, str]]],
        by_subject: dict[str, list[tuple[str, dict[str, str]]]], batch: BatchHandler,
    ) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """The read's events (`entries`, in stream order) to the group's BatchHandler; returns
        `by_subject` with only the entries it left (an undecodable one stays, for `_deliver`
        to log)."""
        decoded: list[tuple[str, Event]] = []
        for entry_id, fields in entries:
            try:
                decoded.append((entry_id, _decoder.decode(fields["event"])))
            except (KeyError, msgspec.DecodeError):
                continue
        try:
            left = await batch([event for _, event in decoded])
        except (asyncio.CancelledError, *OUTAGE_ERRORS):
            raise  # Redis away: the batch stays unacknowledged, delivered again later
        except Exception:  # a bug in the phases: the one-at-a-time path takes the whole batch
            log.exception("event batch handler failed", extra={"group": group})
            return by_subject
        left_ids = {id(event) for event in left}
        taken = {entry_id for entry_id, event in decoded if id(event) not in left_ids}
        return {subject: kept for subject, items in by_subject.items()
                if (kept := [item for item in items if item[0] not in taken])}

    async def _claim_abandoned(self, group: str, name: str, stream: str, handler: _Handlers,
                               wanted: frozenset[str] | None) -> None:
        start = "0-0"
        while True:
            result = await self.redis.xautoclaim(
                stream, group, name, min_idle_time=CLAIM_IDLE_MS,
                start_id=start, count=READ_COUNT,
            )
            start, entries = cast(tuple[str, list[Entry]], result[:2])
            await self._deliver_batch(group, stream, entries, handler, wanted)
            if start in ("0-0", b"0-0"):
                return

    async def _deliver(
        self, group: str, entry_id: str, fields: dict[str, str], handler: Handler
    ) -> None:
        try:
            event = _decoder.decode(fields["event"])
        except (KeyError, msgspec.DecodeError):
            log.error("undecodable event skipped", extra={"group": group, "entry": entry_id})
            return
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await handler(event)
                break
            except (asyncio.CancelledError, *OUTAGE_ERRORS):
                raise  # Redis away: the batch stays unacknowledged, delivered again later
            except Exception:  # a subscriber's bug must not stop the bus: log, retry, park
                log.exception("event handler failed", extra={
                    "group": group, "event": event.type, "attempt": attempt})
                await asyncio.sleep(0.1 * attempt)
        else:
            await self.redis.xadd(self.keys.dead_letters(group),
                                  cast(dict[Any, Any], fields), maxlen=10_000)

    async def read_all(self, count: int = 1000) -> list[Event]:
        """The latest events of both streams, oldest first (for the cell's timeline and the
        tests): merged by the time each was made (stream ids are times in ms, too coarse to
        order two streams' events made in the same millisecond)."""
        events: list[Event] = []
        for stream in self.streams:
            entries = cast(list[Entry], await self.redis.xrevrange(stream, count=count))
            events += (_decoder.decode(fields["event"]) for _id, fields in reversed(entries))
        events.sort(key=lambda event: event.at)  # stable: each stream's order kept on ties
        return events[-count:]
