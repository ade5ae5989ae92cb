"""The local spool: an acknowledged message is durable even while Redis is unreachable.

When a webhook cannot store a message (Redis down, a failover in progress), the web process
appends it to a file of its own under CRISIS_DATA_DIR/spool/, fsyncs, and answers the
provider as if stored (the approach of RapidPro's Courier): the provider will not retry, so
the spool is the message's only copy. /readyz is red while a spool holds anything (the load
balancer sends new traffic elsewhere), `crisis_spool_messages` counts them, and a background
task replays them in order as soon as Redis answers: `ConversationStore.receive` drops a
message it already has (the provider's id), so a replay interrupted half-way and started
again stores nothing twice. Files of a process that died are replayed by the next one
(a file is held with an exclusive lock while written or replayed).
Only when the spool cannot be written either does the webhook answer 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, cast

import msgspec
from prometheus_client import Gauge

from crisis.ports import DeliveryReport
from crisis.types import InboundMessage

log = logging.getLogger(__name__)

SPOOLED = Gauge("crisis_spool_messages",
                "Messages acknowledged while Redis was unreachable, waiting in the local spool.",
                multiprocess_mode="livesum")
REPLAY_EVERY_S = 1.0


class Spooled(msgspec.Struct, tag_field="kind", tag=True):
    """One line of a spool file."""


class SpooledInbound(Spooled, tag="inbound"):
    message: InboundMessage


class SpooledDelivery(Spooled, tag="delivery"):
    report: DeliveryReport


_decoder = msgspec.json.Decoder(SpooledInbound | SpooledDelivery)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._own: dict[Path, int] = {}  # this process's files and their lines, until replayed
        self.pending = 0  # lines written by this process and not replayed yet

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._path = self.directory / f"{os.getpid()}-{time.time_ns()}.jsonl"
            self._file = open(self._path, "ab")
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while we live
        return self._file

    def append(self, item: InboundMessage | DeliveryReport) -> None:
        """Write one message and fsync it: when this returns, it survives a crash.
        OSError when the disk refuses (the webhook then answers 503)."""
        line = SpooledInbound(item) if isinstance(item, InboundMessage) else SpooledDelivery(item)
        spool = self._open()
        spool.write(msgspec.json.encode(line) + b"\n")
        spool.flush()
        os.fsync(spool.fileno())
        path = cast(Path, self._path)  # set by _open
        self._own[path] = self._own.get(path, 0) + 1
        self.pending += 1
        SPOOLED.inc()

    def _close_own(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock: the file is now replayable
            self._file = None

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl")) if self.directory.exists() else []

    async def replay(self, receive: Callable[[InboundMessage], Awaitable[object]],
                     deliver: Callable[[DeliveryReport], Awaitable[object]]) -> int:
        """Replay every unlocked spool file in order (this process's own included), deleting
        each once all its lines are stored. Raises what `receive` raises (Redis still down):
        the file stays, whole, for the next attempt. Returns the lines replayed."""
        # Whatever this process wrote so far becomes replayable; later lines go to a new file
        # (a file still open here would be skipped as locked, and stay unreplayed).
        self._close_own()
        replayed = 0
        for path in self.files():
            try:
                spool = open(path, "rb")
            except FileNotFoundError:
                continue  # replayed and deleted by another process since the listing
            with spool:
                try:
                    fcntl.flock(spool, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # another live process writes or replays it
                for number, raw in enumerate(spool, start=1):
                    try:
                        item = _decoder.decode(raw)
                    except msgspec.DecodeError:  # a line cut by a crash mid-write
                        log.warning("spool line unreadable, skipped",
                                    extra={"file": path.name, "line": number})
                        continue
                    if isinstance(item, SpooledInbound):
                        await receive(item.message)
                    else:
                        await deliver(item.report)
                    replayed += 1
                path.unlink()
            mine = self._own.pop(path, 0)
            self.pending -= mine
            SPOOLED.dec(mine)
        if replayed:
            log.info("spool replayed", extra={"messages": replayed})
        return replayed

    def waiting(self) -> bool:
        return self.pending > 0 or bool(self.files())


async def replay_forever(spool: Spool, receive: Callable[[InboundMessage], Awaitable[object]],
                         deliver: Callable[[DeliveryReport], Awaitable[object]],
                         stop: asyncio.Event, is_outage: Callable[[BaseException], bool]) -> None:
    """Replay the spool whenever it holds something, until `stop`."""
    while not stop.is_set():
        if spool.waiting():
            try:
                await spool.replay(receive, deliver)
            except Exception as err:  # Redis still down: the files stay for the next round
                if not is_outage(err):
                    log.warning("spool replay failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REPLAY_EVERY_S)
