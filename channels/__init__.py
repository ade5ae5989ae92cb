"""The multichannel contact centre: one adapter per channel, the router and the console."""

from __future__ import annotations

import asyncio
import datetime as dt
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources

from aiohttp import web

from channels.api import DESK, setup_api
from channels.chat.socket import ChatHub
from channels.console import setup_console
from channels.adapters import provider_adapters
from channels.alerts.api import setup_broadcast_api
from channels.alerts.web import setup_alert_web
from channels.alerts.broadcasts import Broadcasts
from channels.alerts.cell_pages import setup_broadcast_pages
from channels.alerts.pulse_pages import setup_pulse_pages
from channels.alerts.sending import PREPARE_JOB, channel_rates, resume_stalled
from channels.degraded import DegradedAnswers
from channels.desk import Desk
from channels.inbound_phases import InboundItem, InboundPhases
from channels.greetings import GREETING_EVENTS, live_greetings, update_greetings
from channels.keys import ChannelKeys
from channels.router import Router
from channels.outbox import Outbox
from channels.sandbox_log import listing
from channels.sms.sandbox import sandbox_enabled, setup_sandbox
from channels.telegram.sandbox import setup_telegram_sandbox, telegram_sandbox_enabled
from channels.spool import Spool, replay_forever
from channels.store import ConversationStore
from channels.voice.adapter import TwilioVoice
from channels.voice.calls import Calls
from channels.voice.live import LiveCall
from channels.webhooks import MAX_WEBHOOK_BYTES, webhook_routes
from crisis.background_tasks import cancel_and_wait
from channels.voice import setup_voice
from channels.voice.browser_phone import setup_browser_phone
from channels.voice.simulator import setup_simulator
from crisis.context import Context
from crisis.errors import ChannelError, InvalidTransition, NotFound
from crisis.ports import ChannelAdapter
from crisis.types import ChannelKind, Event, EventType, PublicationStatus
from crisis.web.body import BODY_CAPS
from crisis.web.health import READINESS
from crisis.web.redis_outage import is_outage
from knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
CHAT_HUB: web.AppKey[ChatHub] = web.AppKey("channels_chat_hub", ChatHub)
DEGRADED: web.AppKey[DegradedAnswers] = web.AppKey("channels_degraded", DegradedAnswers)
SWEEP_INTERVAL_S = 2.0
RESUME_INTERVAL_S = 5  # how soon a broadcast whose worker died is taken up again
TEND_INTERVAL_S = 10


def build_desk(ctx: Context, kb: KnowledgeBase) -> tuple[Desk, ChatHub]:
    """The desk answers from `kb` (each channel's threshold; answers counted, unanswered
    questions kept for the cell), gives each answer its channel's form (answer_forms) and
    sends through the adapter table: the providers' channels the settings enable, the chat,
    and a call in progress."""
    keys = ChannelKeys(ctx.keys)
    store = ConversationStore(ctx.redis, keys, ctx.bus, ctx.secret)
    hub = ChatHub(ctx, keys, store)
    adapters: dict[ChannelKind, ChannelAdapter] = provider_adapters(ctx.settings)
    adapters[ChannelKind.CHAT] = hub.adapter
    if ctx.settings.twilio_enabled:
        adapters[ChannelKind.VOICE] = LiveCall(Calls(ctx.redis, keys), TwilioVoice(ctx.settings))
    outbox = Outbox(store, ctx.jobs, adapters)
    return Desk(ctx, store, Router(ctx.redis, keys), kb, outbox), hub


async def _sweep_offers(desk: Desk, stop: asyncio.Event) -> None:
    """Every SWEEP_INTERVAL_S, each step on its own (one failing does not hold back the
    others: the stream's trim, say, must go on whatever an offer does): offers not accepted in
    time back to the head of the queue, queue notices held for a second look that never came
    (channels/second_look_requests.py), the conversations' stream cut to what every group has
    read (crisis/events.py), the queue tended by one process at a time (overflow offers, paced
    wait updates), broadcasts whose worker died resumed."""
    keys = desk.k

    async def offers() -> None:
        await desk.requeue_expired_offers()
        await desk.assign()

    async def stalled_broadcasts() -> None:
        if await desk.ctx.redis.set(keys.broadcast_lease("all", "tender"), "1", nx=True,
                                    ex=RESUME_INTERVAL_S):
            await resume_stalled(desk.ctx.redis, keys, desk.ctx.jobs)

    async def trim_conversation_events() -> None:
        await desk.ctx.bus.trim_delivered(desk.ctx.subscriptions)

    async def tend_queue() -> None:
        await desk.tend_queue_once(TEND_INTERVAL_S)

    steps: tuple[Callable[[], Awaitable[object]], ...] = (
        offers, desk.release_overdue_notices, trim_conversation_events, tend_queue,
        stalled_broadcasts)
    while not stop.is_set():
        for step in steps:
            try:
                await step()
            except (InvalidTransition, NotFound):
                pass  # another process got there first
            except Exception as err:  # tried again next tick
                log.warning("sweep step failed", extra={"step": step.__name__}, exc_info=True)
                if is_outage(err):  # Redis away: the other steps would fail alike
                    break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_INTERVAL_S)


async def _register_telegram(adapter: ChannelAdapter, public_url: str) -> None:
    """Point the bot's webhook at this centre (setWebhook is idempotent: every web process
    may do it). Never blocks the start: Telegram unreachable is logged, the rest serves."""
    register = getattr(adapter, "register_webhook", None)
    if register is None:
        return
    try:
        await asyncio.wait_for(register(public_url), timeout=10)
    except (ChannelError, TimeoutError):
        log.warning("the Telegram webhook could not be registered: check TELEGRAM_BOT_TOKEN "
                    "and that Telegram can reach CRISIS_PUBLIC_URL", exc_info=True)


def _setup_webhooks(app: web.Application, ctx: Context, desk: Desk,
                    degraded: DegradedAnswers) -> Spool:
    """The providers' webhooks of every adapter, with the local spool that keeps what they
    bring while Redis is down (replayed by `background`) and the answers given at once from
    memory meanwhile (`degraded`); the adapters closed at the end; Telegram's webhook
    registered once the process listens."""
    app[BODY_CAPS]["/hooks/"] = MAX_WEBHOOK_BYTES  # providers' webhooks are small: cap the stream
    adapters = desk.outbox.adapters
    spool = Spool(ctx.settings.data_dir / "spool")
    for path, handler in webhook_routes(adapters.values(), desk.store, ctx.settings, spool,
                                        degraded):
        app.router.add_post(path, handler)
    app.setdefault(READINESS, []).append(
        lambda: "messages acknowledged while Redis was down wait in the local spool"
        if spool.waiting() else None)

    async def close_adapters(app: web.Application) -> None:
        for adapter in adapters.values():
            await adapter.aclose()
    app.on_cleanup.append(close_adapters)
    telegram = adapters.get(ChannelKind.TELEGRAM)
    if telegram is not None:
        async def register(app: web.Application) -> AsyncIterator[None]:
            # In the background: the demo's Telegram sandbox is served by this very process,
            # which only listens once start-up is over.
            task = asyncio.create_task(_register_telegram(telegram, ctx.settings.base_url))
            yield
            await cancel_and_wait([task])
        app.cleanup_ctx.append(register)
    return spool


def _setup_alerts(app: web.Application, ctx: Context, desk: Desk) -> None:
    """Broadcasts of publications marked `push: true`, their API and cell pages, the site's
    subscription routes, and the alerts' part of the situation."""
    broadcasts = Broadcasts(ctx.redis, desk.k)

    async def on_published(event: Event) -> None:
        publication = await ctx.publications.get(event.subject)
        if publication.push and publication.status is PublicationStatus.PUBLISHED:
            broadcast_id, created = await broadcasts.create(publication, ctx.settings.base_url)
            if created:
                await ctx.jobs.enqueue_async(PREPARE_JOB, broadcast_id, queue="bulk",
                                             retries=0)
    ctx.subscribe("channels-alerts", on_published, types=(EventType.PUBLICATION_PUBLISHED,))
    setup_broadcast_api(app, ctx, broadcasts, desk.alerts)
    # Before static_site.setup, whose /cell/{tail} catch-all would hide the page.
    setup_broadcast_pages(app, ctx, broadcasts, desk.alerts)
    setup_alert_web(app, ctx)  # subscribing from the site: Web Push, e-mail double opt-in
    rates = channel_rates(ctx.settings)
    ctx.add_situation("alerts", lambda: broadcasts.situation(desk.alerts, rates))
    # Pulse questions to a sample of subscribers, their live results (also in the situation).
    setup_pulse_pages(app, ctx, desk.pulses)
    ctx.add_situation("pulses", desk.pulses.situation)


def _setup_sandboxes(app: web.Application, ctx: Context) -> None:
    """The demo's stand-ins for the providers (only when the settings point at them)."""
    keys = ChannelKeys(ctx.keys)
    if sandbox_enabled(ctx):
        setup_sandbox(app, ctx, keys)
        setup_simulator(app, ctx)  # the phone simulator (channels/voice/simulator.py)
    if telegram_sandbox_enabled(ctx):
        setup_telegram_sandbox(app, ctx, keys)
    if ctx.settings.mail_sandbox:  # the relay itself is served by `crisis smtp`
        app.router.add_get("/sandbox/mail", listing(ctx.redis, keys.sandbox("mail")))


def setup(app: web.Application, ctx: Context, kb: KnowledgeBase) -> None:
    """Register the channels' routes, event subscriptions and background tasks; the desk
    answers citizens from `kb`, the process's one knowledge base."""
    desk, hub = build_desk(ctx, kb)
    app[DESK] = desk
    app[CHAT_HUB] = hub
    async def on_greetings(event: Event) -> None:
        await update_greetings(ctx, event)
        desk.greetings.invalidate()  # this process's next SMS sees them at once

    ctx.subscribe("channels-greetings", on_greetings, types=GREETING_EVENTS)

    async def on_event(event: Event) -> None:
        if event.type == EventType.CONVERSATION_MESSAGE_RECEIVED:
            await desk.process_inbound(event.subject, new=bool(event.data.get("new")),
                                       message_id=event.data.get("message"),
                                       seq=int(event.data.get("seq") or 0))
        elif event.type == EventType.CRISIS_CLOSED:
            days = ctx.settings.retention_days
            await asyncio.to_thread(ctx.jobs.enqueue_in, dt.timedelta(days=days),
                                    "channels.retention.purge_job", days)
    phases = InboundPhases(desk)

    async def on_events(events: list[Event]) -> list[Event]:
        """A read's citizen messages through the phases first (channels/inbound_phases.py);
        those it leaves, and the other events, go to `on_event` one at a time."""
        received = [e for e in events if e.type == EventType.CONVERSATION_MESSAGE_RECEIVED]
        left = await phases.handle([InboundItem(
            e.subject, e.data.get("message"), int(e.data.get("seq") or 0),
            bool(e.data.get("new"))) for e in received])
        kept = {id(received[at]) for at in left}
        return [e for e in events
                if e.type != EventType.CONVERSATION_MESSAGE_RECEIVED or id(e) in kept]
    ctx.subscribe("channels-inbound", on_event,
                  types=(EventType.CONVERSATION_MESSAGE_RECEIVED, EventType.CRISIS_CLOSED),
                  batch=on_events)
    degraded = app[DEGRADED] = DegradedAnswers(kb, lambda: live_greetings(ctx))
    spool = _setup_webhooks(app, ctx, desk, degraded)
    _setup_alerts(app, ctx, desk)

    async def background(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(hub.run(stop)), asyncio.create_task(_sweep_offers(desk, stop)),
                 asyncio.create_task(degraded.keep_held(stop)),
                 asyncio.create_task(replay_forever(
                     # Acknowledged already: stored whatever the pipeline's backlog.
                     spool, lambda message: desk.store.receive(message, bounded=False),
                     lambda r: desk.store.delivery_by_provider(r.provider_id, r.status),
                     stop, is_outage))]
        yield
        stop.set()
        await cancel_and_wait(tasks)
    app.cleanup_ctx.append(background)

    if ctx.settings.twilio_enabled:
        setup_voice(app, ctx, desk)  # the telephone's IVR (channels/voice/)
    # The operators' browser phone token: 404 naming the missing settings when not set up.
    setup_browser_phone(app, ctx.settings)
    _setup_sandboxes(app, ctx)
    app.router.add_get("/chat/ws", hub.handle)
    app.router.add_static("/chat/static/", str(resources.files("channels.chat") / "static"))
    setup_api(app)
    setup_console(app, desk, ctx)
    ctx.add_situation("contact_centre", desk.situation)
