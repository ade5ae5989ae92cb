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
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

Arg = str | bytes | int | float


def _bulk(item: Arg) -> bytes:
    data = item if isinstance(item, bytes) else str(item).encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class PipelinedScript:
    """Calls one Lua script; `await script(keys, args)` returns the decoded reply."""

    def __init__(self, redis: aioredis.Redis, source: str) -> None:
        self.redis = redis
        self._fallback = redis.register_script(source)  # loads the script on NOSCRIPT
        sha = hashlib.sha1(source.encode()).hexdigest().encode()
        self._head = b"$7\r\nEVALSHA\r\n" + _bulk(sha)
        self._connection: AbstractConnection | None = None
        self._connect_lock = asyncio.Lock()
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._reader: asyncio.Task[None] | None = None

    def pack(self, keys: Sequence[str], args: Sequence[Arg]) -> bytes:
        parts = [b"*%d\r\n" % (3 + len(keys) + len(args)), self._head, _bulk(len(keys))]
        parts += [_bulk(k) for k in keys]
        parts += [_bulk(a) for a in args]
        return b"".join(parts)

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        try:
            return await self._call(self.pack(keys, args))
        except NoScriptError:  # a restarted or flushed Redis: load it once, the slow way
            return await self._fallback(keys=list(keys), args=list(args))

    async def _call(self, packed: bytes) -> Any:
        connection = self._connection
        if connection is None or not connection.is_connected:
            connection = await self._connect()
        writer = connection._writer  # noqa: SLF001 - the connection is ours alone
        if writer is None:
            raise RedisConnectionError("Redis connection closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # No await between queueing the future and writing the command: replies come back in
        # the order of the writes, and the reader matches them to futures in that order.
        self._waiting.append(future)
        writer.write(packed)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(connection))
        return await future

    async def _connect(self) -> AbstractConnection:
        async with self._connect_lock:
            if self._connection is not None and self._connection.is_connected:
                return self._connection
            if self._connection is not None:  # broken: give it back, the pool reconnects
                await self.redis.connection_pool.release(self._connection)
            pool = self.redis.connection_pool
            self._connection = await pool.get_connection()  # type: ignore[no-untyped-call]
            return self._connection

    async def _read(self, connection: AbstractConnection) -> None:
        """Hand replies to the waiting calls, in order, while any wait."""
        try:
            while self._waiting:
                try:
                    reply: Any = await connection.read_response()
                except ResponseError as err:  # an error reply: the connection is still good
                    reply = err
                future = self._waiting.popleft()
                if future.done():  # its caller went away; the reply is dropped
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except BaseException as err:  # the connection is gone: fail every call in flight
            # Before any await: a call arriving meanwhile starts afresh on a new connection.
            self._reader = None
            failure = RedisConnectionError(f"Redis connection lost: {err!r}")
            while self._waiting:
                future = self._waiting.popleft()
                if not future.done():
                    future.set_exception(failure)
            await connection.disconnect(nowait=True)
            if isinstance(err, asyncio.CancelledError):
                raise
        else:
            self._reader = None
