"""Composition root of the web process: builds the aiohttp application from every package.

The only module (with crisis.cli) allowed to import the edge packages; their order below is
the order routes are matched, and the static site's catch-all comes last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web

import channels
import knowledge_base.web
import monitoring
import static_site
from channels.api import DESK
from crisis.errors import NotFound
from monitoring.contact_signals import CitizenMessage, CitizenMessageReader
from crisis.background_tasks import cancel_and_wait
from crisis.context import Context, open_context
from crisis.events import BatchHandler, Handler
from crisis.heartbeat import EVENTS_KIND, INTERVAL_S, beat
from crisis.metrics import EVENTS_HANDLED
from crisis.settings import Settings
from crisis.types import Event
from crisis.web.api_registry import openapi_document
from crisis.web.app_keys import CONTEXT
from crisis.web.body import BODY_CAPS, body_middleware
from crisis.web.crisis_api import setup_crisis_api
from crisis.web.crisis_pages import setup_crisis_pages
from crisis.web.health import setup_health
from crisis.web.load_shedding import load_shedding
from crisis.web.middleware import auth_middleware, error_middleware, security_headers
from crisis.web.redis_outage import redis_unavailable, replicated_acknowledgement
from crisis.web.publication_api import setup_publication_api
from crisis.web.session_api import setup_session_routes
from crisis.web.shell import cell_notices_middleware, setup_page_assets
from crisis.web.situation_api import setup_situation_api
from knowledge_base import KNOWLEDGE_BASE, KnowledgeBase

log = logging.getLogger(__name__)
VERSION = "0.1.0"
# What this process does besides serving: run the event consumers (the background pipeline)
# or leave them to a `crisis worker --events` process; and under which kind it beats.
CONSUME_EVENTS = web.AppKey("consume_events", bool)
HEARTBEAT_KIND = web.AppKey("heartbeat_kind", str)


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app, VERSION))


def _counted(group: str, handler: Handler) -> Handler:
    async def run(event: Event) -> None:
        await handler(event)
        EVENTS_HANDLED.labels(group, event.type).inc()
    return run


def _counted_batch(group: str, batch: BatchHandler | None) -> BatchHandler | None:
    if batch is None:
        return None

    async def run(events: list[Event]) -> list[Event]:
        left = await batch(events)
        left_ids = {id(event) for event in left}
        for event in events:
            if id(event) not in left_ids:
                EVENTS_HANDLED.labels(group, event.type).inc()
        return left
    return run


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Event consumers and the heartbeat run as long as the app does."""
    ctx = app[CONTEXT]
    stop = asyncio.Event()
    groups = ctx.subscriptions.items() if app[CONSUME_EVENTS] else ()
    tasks = [asyncio.create_task(ctx.bus.consume(group, _counted(group, sub.handler), stop=stop,
                                                 types=sub.types,
                                                 batch=_counted_batch(group, sub.batch)),
                                 name=f"events-{group}")
             for group, sub in groups]
    # A process that consumes events also beats as one, so readiness can tell when no
    # process at all answers citizens (every web started with --no-events, no events worker).
    kinds = [app[HEARTBEAT_KIND]]
    if app[CONSUME_EVENTS] and EVENTS_KIND not in kinds:
        kinds.append(EVENTS_KIND)
    tasks.extend(asyncio.create_task(_heartbeat(ctx, stop, kind), name=f"heartbeat-{kind}")
                 for kind in kinds)
    yield
    stop.set()
    await cancel_and_wait(tasks)
    await ctx.close()


async def _heartbeat(ctx: Context, stop: asyncio.Event, kind: str) -> None:
    while not stop.is_set():
        try:
            await beat(ctx.redis, ctx.keys, kind)
        except Exception:  # Redis down: readiness says so; keep beating when it is back
            log.warning("heartbeat failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), INTERVAL_S)


def _citizen_messages(app: web.Application) -> CitizenMessageReader:
    """How the watch reads an inbound citizen message: through the contact centre's store
    (the watch does not import the channels package; the composition root connects them)."""
    async def read(conversation_id: str, message_id: str | None) -> CitizenMessage | None:
        try:  # one round trip
            conversation, message, _ = await app[DESK].store.inbound_view(
                conversation_id, message_id, check_handled=False)
        except NotFound:
            return None  # erased or purged before the watch read it
        if message is None:
            return None
        return CitizenMessage(channel=conversation.channel.value, text=message.text,
                              at=message.at, lang=conversation.lang, area=conversation.area or "")
    return read


def build_app(settings: Settings, redis_url: str, *, consume_events: bool = True,
              heartbeat_kind: str = "web", second_look: bool | None = None) -> web.Application:
    """The whole web application, ready for web.run_app or the aiohttp test client.

    `consume_events=False`: the process only serves (acknowledges webhooks fast); another
    process runs the event consumers. `crisis worker --events` builds the same app with
    `heartbeat_kind="events"` and starts it without opening a port. `second_look`: whether the
    automatic answer leaves bare-top questions to the workers' second look (default: as
    `settings.kb_semantic`; the events process embeds nothing itself but still asks)."""
    ctx = open_context(settings, redis_url)
    # Outermost first: shedding costs nothing on a refused webhook; a Redis outage anywhere
    # below (sessions, the handler, the replicas' wait) becomes a 503 with Retry-After.
    middlewares = [load_shedding(settings.max_inflight), error_middleware, redis_unavailable]
    if settings.redis_min_replicas:
        middlewares.append(replicated_acknowledgement(settings.redis_min_replicas))
    app = web.Application(middlewares=[*middlewares, body_middleware, auth_middleware,
                                       cell_notices_middleware],
                          client_max_size=settings.max_body_bytes)
    app[CONTEXT] = ctx
    # The process's one knowledge base (its index is built once, kept fresh by one loop):
    # handed to the packages that use it, and to request handlers as CONTEXT is.
    kb = KnowledgeBase.from_context(ctx, second_look=second_look)
    app[KNOWLEDGE_BASE] = kb
    app[BODY_CAPS] = {}  # path prefix -> smaller body cap, set by the packages
    app[CONSUME_EVENTS] = consume_events
    app[HEARTBEAT_KIND] = heartbeat_kind
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(_background)
    setup_health(app)
    setup_session_routes(app)
    setup_crisis_api(app)
    setup_publication_api(app)
    setup_situation_api(app)
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_static("/assets/", str(resources.files("crisis.web") / "static"))
    setup_page_assets(app)  # /cell/static/: each package adds its pages' files at its setup
    setup_crisis_pages(app)
    knowledge_base.web.setup(app, ctx, kb)
    channels.setup(app, ctx, kb)
    monitoring.setup(app, ctx, kb, citizen_messages=_citizen_messages(app),
                     run_consumers=consume_events)
    static_site.setup(app, ctx)  # last: it serves the site at / and below
    log.debug("app built", extra={"pid": os.getpid()})
    return app
