"""Process heartbeats in Redis: /readyz and the situation view see which processes are alive.

One sorted set per kind of process (name -> time its heartbeat expires): /readyz, which load
balancers call every few seconds, reads it with one range query instead of scanning the
keyspace, whose size grows with every conversation.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import redis
import redis.asyncio as aioredis

from crisis.keys import Keys

log = logging.getLogger(__name__)

INTERVAL_S = 5
TTL_S = 15


def process_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def beat(client: aioredis.Redis, keys: Keys, kind: str) -> None:
    """One heartbeat of this process (the web app calls it every INTERVAL_S); dead entries
    are dropped on the way."""
    now = time.time()
    async with client.pipeline(transaction=False) as pipe:
        pipe.zadd(keys.heartbeats(kind), {process_name(): now + TTL_S})
        pipe.zremrangebyscore(keys.heartbeats(kind), "-inf", now)
        await pipe.execute()


async def alive(client: aioredis.Redis, keys: Keys, kind: str) -> list[str]:
    """Names of the processes of `kind` that beat within the last TTL_S seconds."""
    return [str(n) for n in await client.zrangebyscore(keys.heartbeats(kind), time.time(), "+inf")]


# The kind a process beats as when it runs the event consumers (the inbound pipeline): a
# `crisis worker --events`, or a `crisis web` started without --no-events (which beats as both).
EVENTS_KIND = "events"


async def process_counts(client: aioredis.Redis, keys: Keys) -> dict[str, int]:
    """How many web processes, RQ workers and event consumers beat now (status, situation)."""
    return {"web_processes": len(await alive(client, keys, "web")),
            "workers": len(await alive(client, keys, "worker")),
            "event_consumers": len(await alive(client, keys, EVENTS_KIND))}


def start_beating_thread(client: redis.Redis, keys: Keys, kind: str) -> threading.Event:
    """Beat from a daemon thread (for the blocking RQ worker); set the returned event to stop."""
    stop = threading.Event()
    key, name = keys.heartbeats(kind), process_name()

    def run() -> None:
        while not stop.is_set():
            try:
                client.zadd(key, {name: time.time() + TTL_S})
            except redis.RedisError:
                log.warning("heartbeat failed; retrying", exc_info=True)
            stop.wait(INTERVAL_S)
        try:
            client.zrem(key, name)
        except redis.RedisError:
            pass

    threading.Thread(target=run, name=f"heartbeat-{kind}", daemon=True).start()
    return stop
