"""Process heartbeats in Redis: /readyz and the situation view see which processes are alive."""

from __future__ import annotations

import logging
import os
import socket
import threading

import redis
import redis.asyncio as aioredis

from crisis.keys import Keys

log = logging.getLogger(__name__)

INTERVAL_S = 5
TTL_S = 15


def process_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def beat(client: aioredis.Redis, keys: Keys, kind: str) -> None:
    """One heartbeat of this process (the web app calls it every INTERVAL_S)."""
    await client.set(keys.heartbeat(kind, process_name()), "1", ex=TTL_S)


async def alive(client: aioredis.Redis, keys: Keys, kind: str) -> list[str]:
    """Names of the processes of `kind` that beat within the last TTL_S seconds."""
    prefix_len = len(keys.heartbeat(kind, ""))
    return [k[prefix_len:] async for k in client.scan_iter(keys.heartbeat_pattern(kind), count=100)]


def start_beating_thread(client: redis.Redis, keys: Keys, kind: str) -> threading.Event:
    """Beat from a daemon thread (for the blocking RQ worker); set the returned event to stop."""
    stop = threading.Event()
    key = keys.heartbeat(kind, process_name())

    def run() -> None:
        while not stop.is_set():
            try:
                client.set(key, "1", ex=TTL_S)
            except redis.RedisError:
                log.warning("heartbeat failed; retrying", exc_info=True)
            stop.wait(INTERVAL_S)
        try:
            client.delete(key)
        except redis.RedisError:
            pass

    threading.Thread(target=run, name=f"heartbeat-{kind}", daemon=True).start()
    return stop
