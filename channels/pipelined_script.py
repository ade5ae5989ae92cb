"""One Lua script called over a dedicated, pipelined Redis connection: the hot path.

Every inbound message (SMS webhook, chat frame) is one call of the receive script. Through
redis-py each call takes a pooled connection, packs the command, checks its health, parses
and releases: about a quarter of a webhook's CPU under load. Here the script's calls share
one connection held for the process's life: a call writes its pre-packed EVALSHA and waits
for its reply, which one reader task hands out in order (Redis answers in order), so
concurrent webhooks pipeline on the socket without waiting for each other.

The connection comes from the client's own pool (same URL, password, database, TLS or
Sentinel), so it is closed with the client. A connection error fails the calls in flight
(the webhook answers 500 and the provider retries; the store's dedupe drops a retry of a
message that was in fact stored) and the next call takes a fresh connection.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

Arg = str | bytes | int | float


class _Line:
    """One connection with the calls written on it and not yet answered, in order."""

    def __init__(self, connection: AbstractConnection, pool: aioredis.ConnectionPool) -> None:
        self.connection = connection
        self.pool = pool
        self.retired = False
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.unsent: list[bytes] = []
        self.reader: asyncio.Task[None] | None = None
        self.broken = False

    @property
    def usable(self) -> bool:
        return not self.broken and self.connection.is_connected

    def call(self, packed: bytes) -> asyncio.Future[Any]:
        """Queue the command; it is written with the others of this loop turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        # Replies come back in the order of the writes; the reader hands them out in the
        # order of `waiting`, so both orders are set here, with no await in between.
        self.waiting.append(future)
        if not self.unsent:
            loop.call_soon(self._send)
        self.unsent.append(packed)
        if self.reader is None:
            self.reader = asyncio.create_task(self._read())
        return future

    def _send(self) -> None:
        """One write (one system call) for every call of the loop turn: under load the
        webhooks' commands share a packet instead of waking Redis once each."""
        unsent, self.unsent = self.unsent, []
        writer = self.connection._writer  # noqa: SLF001 - the connection is ours alone
        if self.broken or writer is None:
            self._fail(RedisConnectionError("Redis connection closed"))
            return
        writer.write(b"".join(unsent))

    async def _read(self) -> None:
        """Hand replies to the waiting calls, in order, while any wait."""
        try:
            while self.waiting:
                try:
                    reply: Any = await self.connection.read_response()
                except ResponseError as err:  # an error reply: the connection is still good
                    reply = err
                future = self.waiting.popleft()
                if future.done():  # its caller went away; the reply is dropped
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except BaseException as err:  # the connection is gone: fail every call in flight
            self._fail(RedisConnectionError(f"Redis connection lost: {err!r}"))
            self.reader = None
            await self.retire()
            if isinstance(err, asyncio.CancelledError):
                raise
        finally:
            self.reader = None

    async def retire(self) -> None:
        """Close the connection and give it back to the pool (which reconnects it on use)."""
        if not self.retired:
            self.retired = self.broken = True
            await self.connection.disconnect(nowait=True)
            await self.pool.release(self.connection)

    def _fail(self, failure: Exception) -> None:
        self.broken = True
        self.unsent = []
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(failure)


class PipelinedScript:
    """Calls one Lua script; `await script(keys, args)` returns the decoded reply."""

    def __init__(self, redis: aioredis.Redis, source: str) -> None:
        self.redis = redis
        self._source = source
        # The slow way, through the pool, when the line still lacks the script after loading
        # it: after a failover the line may be on another server than the pool's primary.
        self._fallback = redis.register_script(source)
        self._sha = hashlib.sha1(source.encode()).hexdigest().encode()
        self._line: _Line | None = None
        self._connect_lock = asyncio.Lock()
        self._loading: asyncio.Future[Any] | None = None

    async def _load(self) -> None:
        """Load the script into Redis (a first call, a restarted or flushed Redis): once for
        every call that got NOSCRIPT meanwhile. Each of them going the slow way on its own
        was a pooled connection apiece: a burst's hundreds at once opened as many."""
        if self._loading is None or self._loading.get_loop() is not asyncio.get_running_loop():
            self._loading = asyncio.ensure_future(self.redis.script_load(self._source))
            self._loading.add_done_callback(self._loaded)
        await asyncio.shield(self._loading)

    def _loaded(self, loading: asyncio.Future[Any]) -> None:
        if self._loading is loading:
            self._loading = None  # the next NOSCRIPT (a later flush) loads it again
        if not loading.cancelled():
            loading.exception()  # retrieved: a failure is its waiters' to raise

    def pack(self, keys: Sequence[str], args: Sequence[Arg]) -> bytes:
        # hiredis's packer (C; redis-py's own dependency here): a receive call's 27 arguments
        # packed in Python were 5 % of a webhook's CPU, three times hiredis's cost.
        command = (b"EVALSHA", self._sha, len(keys), *keys, *args)
        return cast(bytes, hiredis.pack_command(command))  # type: ignore[arg-type]  # stub: 1-tuple

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        packed = self.pack(keys, args)
        line = await self._current_line()
        try:
            return await line.call(packed)
        except NoScriptError:
            await self._load()
        line = await self._current_line()
        try:
            return await line.call(packed)
        except NoScriptError:
            return await self._fallback(keys=list(keys), args=list(args))

    async def many(self, calls: Sequence[tuple[Sequence[str], Sequence[Arg]]]) -> list[Any]:
        """The script called once per (keys, args) of `calls`, all written together; their
        replies in order. Without a task per call: an events batch makes hundreds at once.
        Raises the first failure (a Redis error reply, the connection lost)."""
        if not calls:
            return []
        packed = [self.pack(keys, args) for keys, args in calls]
        replies = await self._send_all(packed)
        missing = [at for at, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:  # a first call, a restarted or flushed Redis: loaded once, sent again
            await self._load()
            for at, reply in zip(missing, await self._send_all([packed[at] for at in missing])):
                if isinstance(reply, NoScriptError):  # the line is not where it was loaded
                    keys, args = calls[at]
                    reply = await self._fallback(keys=list(keys), args=list(args))
                replies[at] = reply
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies

    async def _send_all(self, packed: list[bytes]) -> list[Any]:
        line = await self._current_line()
        return await asyncio.gather(*(line.call(p) for p in packed), return_exceptions=True)

    async def _current_line(self) -> _Line:
        """The line in use, or a fresh one when it broke."""
        return self._line if self._line is not None and self._line.usable else await self._connect()

    async def _connect(self) -> _Line:
        """A fresh line; the broken one's connection goes back to the pool to reconnect."""
        async with self._connect_lock:
            old = self._line
            if old is not None and old.usable:
                return old
            pool = self.redis.connection_pool
            if old is not None and old.reader is None:  # else its reader retires it
                await old.retire()
            connection = await pool.get_connection()  # type: ignore[no-untyped-call]
            self._line = _Line(connection, pool)
            return self._line
