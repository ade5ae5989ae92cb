"""What a worker process builds once and lends to every job it runs: its settings, its event
loop, its Redis client, and the resources edge packages build on first use (provider clients,
the adapter table).

RQ runs an async job with `asyncio.run`: a new event loop per job, so nothing asynchronous (a
Redis pool, an HTTP session to Twilio or Telegram) could outlive one job, and each reply paid
for new connections. `CentreJob` instead runs coroutines on the process's one loop, and hands a
job declared with `@with_worker_context` its `WorkerContext` as first argument: injected, not
read from a global by each job. A forked work horse (site builds, imports) gets a context of
its own on first use: sockets are never shared across a fork.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar, cast

import redis.asyncio as aioredis
from rq.job import Job

from crisis.keys import Keys
from crisis.redis_client import async_redis
from crisis.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
_WANTS_CONTEXT = "__crisis_worker_context__"


class Closeable(Protocol):
    async def aclose(self) -> None: ...


class WorkerContext:
    """One per worker process: built when `crisis worker` starts (bind_worker_context)."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.settings = settings
        self.redis_url = redis_url
        self.keys = Keys(settings.redis_prefix)
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._redis: aioredis.Redis | None = None
        self._resources: dict[str, Any] = {}

    @property
    def redis(self) -> aioredis.Redis:
        """The process's asyncio Redis client (its pool lives as long as the process)."""
        if self._redis is None:
            self._redis = async_redis(self.redis_url)
        return self._redis

    def resource(self, name: str, build: Callable[[WorkerContext], T]) -> T:
        """The resource `name`, built by `build(self)` the first time a job asks for it."""
        if name not in self._resources:
            self._resources[name] = build(self)
        return cast(T, self._resources[name])

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        """Close what the jobs opened (provider sessions, then Redis), then the loop."""
        async def close_all() -> None:
            for resource in self._resources.values():
                closer = getattr(resource, "aclose", None)
                if closer is not None:
                    try:
                        await closer()
                    except Exception:  # closing one must not keep the others open
                        log.warning("closing a worker resource failed", exc_info=True)
            if self._redis is not None:
                await self._redis.aclose()
        try:
            self.run(close_all())
        finally:
            self.loop.close()


_bound: tuple[Settings, str] | None = None
_context: WorkerContext | None = None


def bind_worker_context(settings: Settings, redis_url: str) -> None:
    """Called once by the worker's entry point, before working."""
    global _bound, _context
    _bound, _context = (settings, redis_url), None


def worker_context() -> WorkerContext:
    """This process's context (a forked work horse builds its own on first use)."""
    global _context
    if _bound is None:
        raise RuntimeError("job run outside `crisis worker`: call bind_worker_context first")
    if _context is None or _context.pid != os.getpid():
        _context = WorkerContext(*_bound)
    return _context


def close_worker_context() -> None:
    global _context
    if _context is not None and _context.pid == os.getpid():
        _context.close()
    _context = None


def with_worker_context(func: Callable[..., T]) -> Callable[..., T]:
    """Mark a job that takes the WorkerContext as its first argument (CentreJob passes it)."""
    setattr(func, _WANTS_CONTEXT, True)
    return func


class CentreJob(Job):
    """RQ's Job, running coroutines on the worker process's loop and injecting the context."""

    def _execute(self) -> Any:
        func = self.func
        if func is None:
            raise ValueError("cannot execute job: function is None")
        if getattr(func, _WANTS_CONTEXT, False):
            context = worker_context()
            result = func(context, *self.args, **self.kwargs)
            return context.run(result) if inspect.iscoroutine(result) else result
        result = func(*self.args, **self.kwargs)
        return asyncio.run(result) if inspect.iscoroutine(result) else result
