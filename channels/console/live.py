"""The console's live socket (`GET /console/ws`) and the operators' presence.

One pub/sub subscription per process (the desk's live channel) fans events out to the
sockets of this process. An operator's open sockets are their presence, kept in Redis so
every process sees it: `ch:console:presence:{name}` is a zset (socket id -> expiry), refreshed
while the socket lives, so a crashed process's sockets expire on their own. When an
operator's last socket closes, a grace period lets a page change or a network blip pass;
after it, an operator still without a socket anywhere is set offline and their
conversations go back to the head of the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from aiohttp import WSMsgType, web

from channels.desk import Desk
from channels.keys import ChannelKeys
from crisis.errors import Forbidden
from crisis.types import OperatorStatus, Role
from crisis.web.app_keys import PRINCIPAL
from crisis.web.middleware import require

log = logging.getLogger(__name__)

GRACE_S = 15.0  # long enough for a page change; short enough that citizens are not stranded
PRESENCE_TTL_S = 60.0
REFRESH_S = 20.0
SEND_TIMEOUT_S = 2.0
# Below this many bytes waiting in a socket's transport, a small frame is written at once
# (aiohttp waits for the socket to drain only above its 64 KiB high-water mark).
FAST_SEND_BUFFER = 16 * 1024


class ConsoleHub:
    """The live sockets of this process, by operator, and the presence they stand for."""

    def __init__(self, desk: Desk, redis: aioredis.Redis, keys: ChannelKeys,
                 grace_s: float = GRACE_S) -> None:
        self.desk = desk
        self.redis = redis  # the presence keys and the desk's live channel
        self.k = keys
        self.grace_s = grace_s
        # operator -> socket id -> the socket and its transport (read on every fan-out).
        self.sockets: dict[str, dict[str, tuple[web.WebSocketResponse, asyncio.Transport | None]]] \
            = defaultdict(dict)
        self._timers: dict[str, asyncio.Task[None]] = {}

    def presence_key(self, name: str) -> str:
        return self.k.console_presence(name)

    async def connected(self, name: str) -> int:
        """How many console sockets the operator has open, across every process."""
        return int(await self.redis.zcount(self.presence_key(name), time.time(), "+inf"))

    async def _mark(self, name: str, socket_id: str) -> None:
        key = self.presence_key(name)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {socket_id: time.time() + PRESENCE_TTL_S})
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.expire(key, int(PRESENCE_TTL_S) * 2)
            await pipe.execute()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        principal = request[PRINCIPAL]
        if principal is None:  # a socket cannot follow the login redirect: say 401
            raise web.HTTPUnauthorized(text="log in first")
        require(request, Role.OPERATOR)
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise Forbidden("the console socket only answers the console's own pages")
        # No permessage-deflate: the events are small JSON, and compressing them would cost
        # a zlib stream per socket on every fan-out (browsers ask for it by default).
        socket = web.WebSocketResponse(heartbeat=25, max_msg_size=1024, compress=False)
        await socket.prepare(request)
        name, socket_id = principal.name, secrets.token_hex(8)
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()
        self.sockets[name][socket_id] = (socket, request.transport)
        try:
            await self._mark(name, socket_id)
            async for message in socket:  # the client only listens; drain pings and close
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self.sockets[name].pop(socket_id, None)
            try:
                await self.redis.zrem(self.presence_key(name), socket_id)
            except Exception:  # Redis hiccup: the presence entry expires by itself
                log.warning("could not remove a closed console socket's presence",
                            exc_info=True, extra={"operator": name})
            if not self.sockets[name]:
                del self.sockets[name]
                self._timers[name] = asyncio.create_task(self._after_grace(name))
        return socket

    async def _after_grace(self, name: str) -> None:
        await asyncio.sleep(self.grace_s)
        self._timers.pop(name, None)
        try:
            if name in self.sockets or await self.connected(name):
                return
            await self.set_offline(name)
        except Exception:  # Redis hiccup: the router's offer timeouts still bound the harm
            log.warning("could not set an absent operator offline", exc_info=True,
                        extra={"operator": name})

    async def set_offline(self, name: str) -> None:
        """Offline, and their conversations back to the head of the queue."""
        state = await self.desk.operator(name)
        if state.status is OperatorStatus.OFFLINE and not state.conversations:
            return
        await self.desk.set_operator_status(name, OperatorStatus.OFFLINE, actor="presence")
        log.info("operator left the console: offline, conversations requeued",
                 extra={"operator": name, "requeued": len(state.conversations)})

    async def _fan_out(self, data: str) -> None:
        """The event to every socket of this process, encoded once. A socket that reads
        fast enough (nearly all) is written to in line, without a task of its own; only a
        socket with a backlog gets a task, bounded by SEND_TIMEOUT_S, so it delays no one."""
        payload = data.encode()
        slow: list[web.WebSocketResponse] = []
        for group in list(self.sockets.values()):
            for socket, transport in list(group.values()):
                if transport is None or transport.is_closing():
                    continue
                if transport.get_write_buffer_size() >= FAST_SEND_BUFFER:
                    slow.append(socket)
                    continue
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await socket.send_frame(payload, WSMsgType.TEXT)
        if slow:
            await asyncio.gather(*(self._send_slowly(s, payload) for s in slow))

    @staticmethod
    async def _send_slowly(socket: web.WebSocketResponse, payload: bytes) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await socket.send_frame(payload, WSMsgType.TEXT)

    async def _refresh(self) -> None:
        for name, group in list(self.sockets.items()):
            for socket_id in list(group):
                await self._mark(name, socket_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay the desk's live events until `stop`; after a Redis failure, subscribe again
        (pages catch up when their socket reopens, so a missed event costs nothing lasting)."""
        while not stop.is_set():
            try:
                await self._relay(stop)
            except Exception:  # the process edge of the relay: log, wait a little, resubscribe
                log.warning("console relay failed; resubscribing", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _relay(self, stop: asyncio.Event) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.k.live)
        refreshed = time.monotonic()
        try:
            while not stop.is_set():
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item and item["type"] == "message":
                    await self._fan_out(str(item["data"]))
                if time.monotonic() - refreshed > REFRESH_S:
                    refreshed = time.monotonic()
                    await self._refresh()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """At shutdown: close the sockets and forget the pending timers (presence expires)."""
        for timer in self._timers.values():
            timer.cancel()
        for group in list(self.sockets.values()):
            for socket, _transport in list(group.values()):
                try:
                    await socket.close(code=1001)
                except Exception:  # shutting down: the peer may already be gone
                    log.debug("console socket did not close cleanly", exc_info=True)
        for timer in list(self._timers.values()):
            timer.cancel()
        self._timers.clear()


HUB: web.AppKey[ConsoleHub] = web.AppKey("console_hub", ConsoleHub)
