"""The situation view's live stream for wall screens: `GET /cell/situation/stream`, server-sent
events that cell_situation.js swaps into the page (no reload).

Fan-out built for many screens on one process: ONE publisher task per web process (started by
the first subscriber, stopped when the last one leaves) computes the figures (situation_body)
once per period, renders the figures region once per variant actually subscribed (language,
the links' ?lang=, cell or supervisor: the cell gets links a supervisor could not open), and
pushes the frame, encoded once, to the subscribers of that variant only when it changed (a
digest of the HTML without its "updated at" time). Each subscriber has a bounded queue: a
slow reader loses its oldest frames (only the newest figures matter), never grows memory, and
one that takes no frame for SEND_TIMEOUT_S is cut off.

Events, in order:
  hello    {"period_ms": 2000}                           once, first
  figures  the figures region's HTML (id: its digest)     at once, then on each change
  checked  {"at": ISO time, "label": "16:52:04"}         each period without a change, so the
                                                          page shows how fresh its figures are
                                                          and marks itself stale when they stop
  ": keep-alive" comments after HEARTBEAT_S without a write, so proxies keep the stream open.

Plain `web.StreamResponse` rather than aiohttp-sse: a frame is formatted and encoded once for
every screen (aiohttp-sse's `send` formats per response), the heartbeat is written by the
same loop as the frames (aiohttp-sse runs a ping task per response), and the send timeout and
bounded queue are ours anyway; what is left of the library is 20 lines of framing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import Counter, Gauge

from crisis.context import Context
from crisis.errors import TryLater
from crisis.types import Role
from crisis.web.app_keys import CONTEXT, PRINCIPAL
from crisis.web.middleware import SESSION_COOKIE
from crisis.web.shell import clock_of, lang_of, lang_query, require
from crisis.web.situation_api import situation_body

log = logging.getLogger(__name__)

STREAM_PATH = "/cell/situation/stream"
HEARTBEAT_S = 15.0  # nginx and most proxies close a connection silent for 60 s or more
RECHECK_S = 15.0  # an ended session stops its streams within this
SEND_TIMEOUT_S = 30.0  # a screen that takes no frame for this long is cut off
QUEUE_FRAMES = 8  # frames a screen may lag behind before its oldest are dropped
RETRY_MS = 3000  # the browser's reconnection delay after a dropped stream
KEEP_ALIVE = b": keep-alive\n\n"
# The region's "updated at" time changes at every render: not a change of the figures.
_UPDATED_TIME = re.compile(r'<time[^>]*id="situation-updated"[^>]*>[^<]*</time>')

STREAMS_OPEN = Gauge(
    "crisis_situation_streams", "Situation view live streams open (wall screens), summed over "
    "web processes.", multiprocess_mode="livesum")
FRAMES_DROPPED = Counter(
    "crisis_situation_frames_dropped_total",
    "Situation frames a slow screen never got (its queue full, the oldest frame dropped).")

# The figures region rendered for a request (situation_page.figures_html), handed in at setup.
FiguresRenderer = Callable[[web.Request, Mapping[str, Any], bool], Awaitable[str]]


@dataclass(frozen=True)
class Variant:
    """What makes one screen's frames differ from another's: rendered once per variant."""

    lang: str
    query: str
    cell: bool


def event(name: str, data: str, event_id: str | None = None) -> bytes:
    """One server-sent event, encoded (every line of `data` as its own `data:` line)."""
    head = f"id: {event_id}\n" if event_id else ""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"{head}event: {name}\n{lines}\n".encode()


def figures_digest(html: str) -> str:
    """What identifies the figures: the region without its "updated at" time."""
    return hashlib.blake2b(_UPDATED_TIME.sub("", html).encode(), digest_size=12).hexdigest()


class Subscriber:
    """One open stream: its variant, a request to render for, and its bounded frame queue."""

    def __init__(self, variant: Variant, request: web.Request, queue_frames: int) -> None:
        self.variant = variant
        self.request = request
        self.frames: deque[bytes] = deque(maxlen=queue_frames)
        self.dropped = 0
        self.ready = asyncio.Event()
        self.closed = False

    def push(self, frame: bytes) -> None:
        """Queue `frame`; when the queue is full the oldest frame goes (counted)."""
        if len(self.frames) == self.frames.maxlen:
            self.dropped += 1
            FRAMES_DROPPED.inc()
        self.frames.append(frame)
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()


class SituationStream:
    """The process's wall-screen streams and their one publisher."""

    def __init__(self, ctx: Context, render: FiguresRenderer, *, period_s: float,
                 max_streams: int) -> None:
        self.ctx = ctx
        self.render = render
        self.period_s = period_s
        self.max_streams = max_streams
        self.heartbeat_s = HEARTBEAT_S
        self.recheck_s = RECHECK_S
        self.send_timeout_s = SEND_TIMEOUT_S
        self.queue_frames = QUEUE_FRAMES
        self.subscribers: set[Subscriber] = set()
        self._latest: dict[Variant, tuple[str, bytes]] = {}  # digest, figures frame
        self._wake = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None

    # --- the publisher ---

    def _join(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        STREAMS_OPEN.inc()
        latest = self._latest.get(subscriber.variant)
        if latest is not None:
            subscriber.push(latest[1])  # at most one period old; the next cycle follows
        else:
            self._wake.set()  # a new variant: render it now rather than at the next period
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish(), name="situation-publisher")

    def _leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        STREAMS_OPEN.dec()
        if not any(s.variant == subscriber.variant for s in self.subscribers):
            self._latest.pop(subscriber.variant, None)
        if not self.subscribers:
            self._wake.set()  # the publisher sees nobody left and ends

    async def _publish(self) -> None:
        """Once per period while anyone listens: the figures, each variant's frame, pushed."""
        while self.subscribers:
            self._wake.clear()
            try:
                await self.publish_once()
            except Exception:  # Redis down...: screens keep their figures and turn stale
                log.warning("situation stream: the figures could not be computed",
                            exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.period_s):
                    await self._wake.wait()
        self._latest.clear()

    async def publish_once(self) -> None:
        """One cycle: compute, render per variant, push changes (or a `checked` event)."""
        body = await situation_body(self.ctx)
        groups: dict[Variant, list[Subscriber]] = {}
        for subscriber in list(self.subscribers):
            groups.setdefault(subscriber.variant, []).append(subscriber)
        for variant, members in groups.items():
            request = members[0].request
            html = await self.render(request, body, variant.cell)
            digest = figures_digest(html)
            previous = self._latest.get(variant)
            if previous is None or previous[0] != digest:
                frame = event("figures", html, digest)
                self._latest[variant] = (digest, frame)
                for subscriber in members:
                    subscriber.push(frame)
                continue
            at = body["at"]
            checked = event("checked", json.dumps({
                "at": at.isoformat(timespec="seconds"),
                "label": clock_of(request, variant.lang)(at, "seconds")}))
            for subscriber in members:
                # Only to a screen with nothing waiting: a check never pushes figures out of
                # a slow screen's queue (its newest figures would be lost behind the times).
                if not subscriber.frames:
                    subscriber.push(checked)

    # --- one screen ---

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /cell/situation/stream: 401 without a session (EventSource cannot follow the
        login redirect; the page's script then reloads to the login), 403 below supervisor,
        503 + Retry-After beyond CRISIS_SITUATION_STREAMS open streams in this process."""
        if request[PRINCIPAL] is None:
            raise web.HTTPUnauthorized(text="log in first")
        principal = require(request, Role.SUPERVISOR)
        if request.method == "HEAD":  # headers only (a body would follow a HEAD answer)
            return web.Response(content_type="text/event-stream", headers={
                "Cache-Control": "no-store"})
        if len(self.subscribers) >= self.max_streams:
            raise TryLater(f"this process already serves {self.max_streams} live screens; "
                           "the page refreshes itself meanwhile", retry_after_s=30)
        lang = lang_of(request)
        subscriber = Subscriber(Variant(lang, lang_query(request), principal.role.at_least(Role.CELL)),
                                request, self.queue_frames)
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no"})  # nginx: pass each event on as it is written
        self._join(subscriber)  # counted before the first await: the cap holds under a rush
        try:
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n".encode() + event(
                "hello", json.dumps({"period_ms": round(self.period_s * 1000)})))
            await self._serve(subscriber, request, response)
        except (ConnectionError, RuntimeError):
            pass  # the screen went away (RuntimeError: aiohttp's write on a closed transport)
        except TimeoutError:
            log.info("situation stream: a screen took no frame in time; cut off",
                     extra={"dropped": subscriber.dropped})
            if request.transport is not None:
                request.transport.abort()
        finally:
            self._leave(subscriber)
        return response

    async def _serve(self, subscriber: Subscriber, request: web.Request,
                     response: web.StreamResponse) -> None:
        """Write the subscriber's frames as they come, a heartbeat after silence, and end
        when the session ends, the screen goes, or the process shuts down."""
        now = time.monotonic()
        wrote, checked = now, now
        while not subscriber.closed:
            if request.transport is None or request.transport.is_closing():
                return
            wait = min(self.heartbeat_s - (now - wrote), self.recheck_s - (now - checked))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):
                    await subscriber.ready.wait()
            subscriber.ready.clear()
            now = time.monotonic()
            if now - checked >= self.recheck_s:
                checked = now
                if not await self._still_allowed(request):
                    return  # the browser reconnects, gets 401 and goes to the login
            async with asyncio.timeout(self.send_timeout_s):
                if subscriber.frames:
                    while subscriber.frames:
                        await response.write(subscriber.frames.popleft())
                    wrote = time.monotonic()
                elif now - wrote >= self.heartbeat_s:
                    await response.write(KEEP_ALIVE)
                    wrote = time.monotonic()
            now = time.monotonic()

    async def _still_allowed(self, request: web.Request) -> bool:
        """The stream's session (or API token) still stands, with its role."""
        principal = request[PRINCIPAL]
        accounts = self.ctx.accounts
        if principal is not None and principal.via == "token":
            current = await accounts.principal_for_token(
                request.headers.get("Authorization", "")[7:].strip())
            return current is not None and current.role.at_least(Role.SUPERVISOR)
        session = await accounts.get_session(request.cookies.get(SESSION_COOKIE, ""))
        return session is not None and session.role.at_least(Role.SUPERVISOR)

    async def close(self) -> None:
        """At shutdown: end every stream (their handlers return) and the publisher."""
        for subscriber in list(self.subscribers):
            subscriber.close()
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher


SITUATION_STREAM: web.AppKey[SituationStream] = web.AppKey("situation_stream", SituationStream)


def setup_situation_stream(app: web.Application, render: FiguresRenderer) -> None:
    """The stream route, with the process's one publisher; streams end at shutdown."""
    ctx = app[CONTEXT]
    stream = SituationStream(ctx, render, period_s=ctx.settings.situation_period_ms / 1000,
                             max_streams=ctx.settings.situation_streams)
    app[SITUATION_STREAM] = stream
    app.router.add_get(STREAM_PATH, stream.handle)

    async def end_streams(app: web.Application) -> None:
        await stream.close()
    app.on_shutdown.append(end_streams)
