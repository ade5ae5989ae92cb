"""The watch: media, web and social signals, polls and citizens' questions, in a situation view."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from crisis.background_tasks import cancel_and_wait
from crisis.context import Context
from crisis.events import consumer_name
from crisis.types import EventType
from knowledge_base import KnowledgeBase
from monitoring.contact_signals import (
    CitizenMessageReader, watch_citizen_message, watch_citizen_messages,
)
from monitoring.demo_mastodon import setup_demo_mastodon
from monitoring.demo_watch import play_demo_signals, setup_demo_feed
from monitoring.intake import run_normaliser
from monitoring.keys import WatchKeys
from monitoring.mastodon_state import keep_mastodon_chain
from monitoring.feed_pages import setup_feed_pages
from monitoring.report_pages import setup_report_pages
from monitoring.rumour_pages import setup_rumour_pages
from monitoring.signals_api import setup_signals_api
from monitoring.situation_page import setup_situation_page
from monitoring.watch_keywords import WATCH_KEYWORD_EVENTS, keywords_key, update_watch_keywords
from monitoring.watch_situation import watch_section


def setup(app: web.Application, ctx: Context, kb: KnowledgeBase | None = None, *,
          citizen_messages: CitizenMessageReader | None = None,
          run_consumers: bool = True) -> None:
    """Register the watch's pages (the situation view), API, event subscriptions and, in a
    process that runs the consumers, the signal normaliser. `citizen_messages` reads an
    inbound message of the contact centre (handed in by the composition root); `kb`, the
    knowledge base, gives the watch its missing answers (the questions without an answer)."""
    keys = WatchKeys(ctx.keys)
    setup_situation_page(app)
    setup_report_pages(app)
    setup_feed_pages(app)
    setup_rumour_pages(app)
    setup_signals_api(app)
    if ctx.settings.demo_watch:
        setup_demo_feed(app)
        setup_demo_mastodon(app)
    ctx.subscribe("watch-keywords", lambda event: update_watch_keywords(ctx, event),
                  types=WATCH_KEYWORD_EVENTS)
    ctx.add_situation("watch", lambda: watch_section(ctx.redis, keys, kb=kb))
    if citizen_messages is not None:
        reader = citizen_messages
        ctx.subscribe("watch-contact", lambda event: watch_citizen_message(
            ctx.redis, keys, reader, event), types=(EventType.CONVERSATION_MESSAGE_RECEIVED,),
            batch=lambda events: watch_citizen_messages(ctx.redis, keys, reader, events))
    if not run_consumers:
        return

    async def normaliser(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_normaliser(ctx.redis, keys, keywords_key(ctx),
                                                  consumer_name(), stop), name="watch-normaliser")
        tasks = [task]
        if ctx.settings.demo_watch:  # `crisis up --demo` only: the watch moves on its own
            tasks.append(asyncio.create_task(play_demo_signals(
                ctx.redis, keys, consumer_name(), stop), name="watch-demo-signals"))
        if ctx.settings.mastodon_api_base:  # the Mastodon source's runs are RQ jobs
            tasks.append(asyncio.create_task(keep_mastodon_chain(
                ctx.redis, keys, ctx.jobs, stop), name="watch-mastodon-keeper"))
        yield
        stop.set()
        await cancel_and_wait(tasks)
    app.cleanup_ctx.append(normaliser)
