"""The multichannel contact centre: one adapter per channel, the router and the console."""

from __future__ import annotations

import asyncio
import datetime as dt
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web

from channels.api import DESK, setup_api
from channels.chat.socket import ChatHub
from channels.console import setup_console
from channels.desk import Desk, Sender
from channels.greetings import GREETING_EVENTS, update_greetings
from channels.keys import ChannelKeys
from channels.router import Router
from channels.sms.adapter import TwilioSms
from channels.sms.sandbox import sandbox_enabled, setup_sandbox
from channels.sms.webhooks import MAX_FORM_BYTES, sms_routes
from channels.store import ConversationStore
from crisis.background_tasks import cancel_and_wait
from channels.voice import setup_voice
from channels.voice.simulator import setup_simulator
from crisis.context import Context
from crisis.errors import InvalidTransition, NotFound
from crisis.types import ChannelKind, Conversation, Event, EventType, Message
from crisis.web.body import BODY_CAPS
from knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)
CHAT_HUB: web.AppKey[ChatHub] = web.AppKey("channels_chat_hub", ChatHub)
SWEEP_INTERVAL_S = 2.0
TEND_INTERVAL_S = 10


def _sms_sender(ctx: Context) -> Sender:
    async def send(conversation: Conversation, message: Message) -> None:
        # A citizen is waiting: the `replies` queue goes before broadcasts (`bulk`).
        await ctx.jobs.enqueue_async("channels.sms.jobs.send_sms_job", conversation.id,
                                     message.id, message.text, queue="replies", retries=3)
    return send


def build_desk(ctx: Context, kb: KnowledgeBase) -> tuple[Desk, ChatHub]:
    """The desk answers from `kb` (each channel's threshold; answers counted, unanswered
    questions kept for the cell) and gives each answer its channel's form (answer_forms)."""
    keys = ChannelKeys(ctx.keys)
    store = ConversationStore(ctx.redis, keys, ctx.bus, ctx.secret)
    hub = ChatHub(ctx, keys, store)
    senders: dict[ChannelKind, Sender] = {ChannelKind.CHAT: hub.send}
    if ctx.settings.twilio_enabled:
        senders[ChannelKind.SMS] = _sms_sender(ctx)
    return Desk(ctx, store, Router(ctx.redis, keys), kb, senders), hub


async def _sweep_offers(desk: Desk, stop: asyncio.Event) -> None:
    """Offers not accepted in time go back to the head of the queue."""
    while not stop.is_set():
        try:
            await desk.requeue_expired_offers()
            await desk.assign()
            # One process at a time tends the queue (overflow offers, paced wait updates).
            await desk.tend_queue_once(TEND_INTERVAL_S)
        except (InvalidTransition, NotFound):
            pass  # another process got there first
        except Exception:  # Redis hiccup: try again next tick
            log.warning("offer sweep failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_INTERVAL_S)


def setup(app: web.Application, ctx: Context, kb: KnowledgeBase) -> None:
    """Register the channels' routes, event subscriptions and background tasks; the desk
    answers citizens from `kb`, the process's one knowledge base."""
    desk, hub = build_desk(ctx, kb)
    app[DESK] = desk
    app[CHAT_HUB] = hub
    ctx.subscribe("channels-greetings", lambda event: update_greetings(ctx, event),
                  types=GREETING_EVENTS)

    async def on_event(event: Event) -> None:
        if event.type == EventType.CONVERSATION_MESSAGE_RECEIVED:
            await desk.process_inbound(event.subject, new=bool(event.data.get("new")),
                                       message_id=event.data.get("message"),
                                       seq=int(event.data.get("seq") or 0))
        elif event.type == EventType.CRISIS_CLOSED:
            days = ctx.settings.retention_days
            await asyncio.to_thread(ctx.jobs.enqueue_in, dt.timedelta(days=days),
                                    "channels.retention.purge_job", days)
    ctx.subscribe("channels-inbound", on_event,
                  types=(EventType.CONVERSATION_MESSAGE_RECEIVED, EventType.CRISIS_CLOSED))

    async def background(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(hub.run(stop)), asyncio.create_task(_sweep_offers(desk, stop))]
        yield
        stop.set()
        await cancel_and_wait(tasks)
    app.cleanup_ctx.append(background)

    app[BODY_CAPS]["/hooks/twilio/"] = MAX_FORM_BYTES  # Twilio forms are small: cap the stream
    if ctx.settings.twilio_enabled:
        for path, handler in sms_routes(TwilioSms(ctx.settings), desk.store, ctx.settings):
            app.router.add_post(path, handler)
        setup_voice(app, ctx, desk)  # the telephone (channels/voice/)
    if sandbox_enabled(ctx):
        setup_sandbox(app, ctx, ChannelKeys(ctx.keys))
        setup_simulator(app, ctx)  # the phone simulator (channels/voice/simulator.py)
    app.router.add_get("/chat/ws", hub.handle)
    app.router.add_static("/chat/static/", str(resources.files("channels.chat") / "static"))
    setup_api(app)
    setup_console(app, desk, ctx)
    ctx.add_situation("contact_centre", desk.situation)
