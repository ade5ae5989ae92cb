"""Sending a broadcast: jobs that walk the recipients in batches, paced, exactly once.

One job per (broadcast, channel) at a time, held by a lease (lease.lua). A job is a time
slice (SLICE_S): it takes a batch of recipients from the channel's snapshot into the claimed
hash (claim.lua), marks each one "sending" just before the provider call, and removes it once
sent or failed; then it enqueues its continuation on the `bulk` queue and ends, so the worker
takes citizens' replies (the `replies` queue comes first) between slices.

A worker killed mid-slice leaves its lease to expire and its claims behind. The next job
(enqueued by `resume_stalled`, which the web processes run every few seconds) puts the claims
that were never tried back into the snapshot, and counts those that were being sent as
"unknown": the provider may or may not have taken them, and none of our channels' providers
can be asked, so they are never sent again (never twice) and the count says how many citizens
may have missed it (at most CONCURRENCY per killed worker).
Broadcasts use CRISIS_BROADCAST_SHARE of each provider's limit, so replies keep the rest.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import cast

import redis.asyncio as aioredis

from channels.alerts.broadcasts import CANCELLED, DONE, PREPARING, SENDING, Broadcasts
from channels.keys import ChannelKeys
from channels.alerts.subscriptions import Subscriptions
from channels.outbound import outbound_kit
from channels.pacing import Pacer
from crisis.alert_texts import STOP_HINT
from crisis.errors import ChannelError
from crisis.jobs import Jobs
from crisis.lua_scripts import register_lua
from crisis.metrics import BROADCAST_MESSAGES
from crisis.ports import ChannelAdapter
from crisis.secret_key import resolve_secret_key
from crisis.settings import Settings
from crisis.types import ChannelKind, OutboundMessage, utcnow
from crisis.worker_context import WorkerContext, with_worker_context

log = logging.getLogger(__name__)

BATCH = 200
SLICE_S = 2.0
CONCURRENCY = 16
LEASE_S = 10  # renewed every RENEW_S while the job sends: a dead job's channel waits this long
RENEW_S = 3.0
QUEUED_LEASE_S = 120  # a continuation waiting behind replies keeps the channel reserved
# A job whose worker died between taking it and taking the channel's lease is handed back by
# the next worker (crisis/abandoned_jobs.py): retried, it takes the channel up within seconds;
# without a retry it failed, and the channel waited out QUEUED_LEASE_S (seen: 2 minutes of
# a broadcast's SMS held back after a kill -9). Running twice is harmless: the lease lets one
# job send, the other ends ("another job holds this channel"). Not the preparing job: run
# again after its snapshot, it would put back recipients already sent.
JOB_RETRIES = 2
PREPARE_JOB = "channels.alerts.sending.prepare_broadcast_job"
SEND_JOB = "channels.alerts.sending.send_broadcast_job"


def channel_rates(settings: Settings) -> dict[str, float]:
    """Messages a second each alert channel may send for broadcasts (their share of it)."""
    share = settings.broadcast_share
    return {"sms": settings.twilio_messages_per_second * share,
            "telegram": settings.telegram_messages_per_second * share,
            "email": settings.smtp_messages_per_second * share,
            "push": 100.0}


class BroadcastSender:
    """One worker process's broadcast machinery (kept in its WorkerContext)."""

    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys, secret: bytes,
                 adapters: Mapping[str, ChannelAdapter], share: float = 0.8,
                 email_footer: Callable[[str, str], dict[str, str]] | None = None) -> None:
        self.redis = redis
        self.share = share
        self.email_footer = email_footer  # (address, lang) -> the unsubscribe line and link
        self.k = keys
        self.broadcasts = Broadcasts(redis, keys)
        self.subscriptions = Subscriptions(redis, keys, secret)
        self.adapters = adapters
        self.pacer = Pacer(redis, keys)
        self._renewed = 0.0
        self._claim = register_lua(redis, "channels.alerts", "claim.lua")
        self._lease = register_lua(redis, "channels.alerts", "lease.lua")

    async def take_lease(self, broadcast_id: str, channel: str, token: str) -> bool:
        return bool(await self._lease(keys=[self.k.broadcast_lease(broadcast_id, channel)],
                                      args=[token, LEASE_S]))

    async def recover(self, broadcast_id: str, channel: str, token: str) -> None:
        """Claims left by a dead job: never tried go back, being sent count as unknown."""
        claimed_key = self.k.broadcast_claimed(broadcast_id, channel)
        claims = cast(dict[str, str], await self.redis.hgetall(claimed_key))
        for member, state in claims.items():
            if state.endswith(":" + token):
                continue
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(claimed_key, member)
                if state.startswith("c:"):
                    pipe.sadd(self.k.broadcast_to(broadcast_id, channel), member)
                else:
                    pipe.hincrby(self.k.broadcast(broadcast_id), f"unknown:{channel}", 1)
                await pipe.execute()
            if not state.startswith("c:"):
                BROADCAST_MESSAGES.labels(channel, "unknown").inc()

    async def run_slice(self, broadcast_id: str, channel: str, token: str) -> bool:
        """Send for up to SLICE_S; True when the channel has nothing left."""
        record = await self.broadcasts.get(broadcast_id)
        adapter = self.adapters.get(channel)
        to_key = self.k.broadcast_to(broadcast_id, channel)
        claimed_key = self.k.broadcast_claimed(broadcast_id, channel)
        if record["state"] == CANCELLED or adapter is None:
            await self._drop_remaining(broadcast_id, channel, failed=adapter is None)
            return True
        await self.recover(broadcast_id, channel, token)
        deadline = time.monotonic() + SLICE_S
        limit = asyncio.Semaphore(CONCURRENCY)
        self._renewed = time.monotonic()
        while time.monotonic() < deadline:
            members = [str(m) for m in await self._claim(keys=[to_key, claimed_key],
                                                         args=[BATCH, "c:" + token])]
            if not members:
                break
            await asyncio.gather(*(self._send_one(limit, record, adapter, channel, member, token)
                                   for member in members))
            await self.take_lease(broadcast_id, channel, token)  # renewed each batch
            if (await self.broadcasts.get(broadcast_id))["state"] == CANCELLED:
                await self._drop_remaining(broadcast_id, channel, failed=False)
                return True
        return not await self.redis.exists(to_key) and not await self.redis.hlen(claimed_key)

    async def _drop_remaining(self, broadcast_id: str, channel: str, *, failed: bool) -> None:
        """Nobody left on `channel` gets it: the broadcast was stopped, or (`failed`) the
        channel is not configured here, and its recipients count as failed."""
        to_key = self.k.broadcast_to(broadcast_id, channel)
        if failed:
            left = int(await self.redis.scard(to_key))
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(self.k.broadcast(broadcast_id), f"failed:{channel}", left)
                pipe.hincrby(self.k.broadcast(broadcast_id),
                             f"reason:{channel}:channel not configured", left)
                await pipe.execute()
        await self.redis.delete(to_key)

    async def _send_one(self, limit: asyncio.Semaphore, record: Mapping[str, str],
                        adapter: ChannelAdapter, channel: str, citizen: str, token: str) -> None:
        broadcast_id = record["id"]
        claimed_key = self.k.broadcast_claimed(broadcast_id, channel)
        async with limit:
            if time.monotonic() - self._renewed > RENEW_S:  # slow pacing: keep the channel
                self._renewed = time.monotonic()
                await self.take_lease(broadcast_id, channel, token)
            subscriber = cast(dict[str, str], await self.redis.hgetall(
                self.k.alert_subscriber(channel, citizen)))
            if not subscriber or not set(subscriber.get("areas", "").split(",")) & set(
                    self.broadcasts.areas_of(record)):
                await self.redis.hdel(claimed_key, citizen)  # unsubscribed meanwhile
                return
            message = self._message(record, channel, subscriber, citizen)
            await self.pacer.wait(adapter.pacing(message), share=self.share, spread=True)
            # The idempotency mark, before the provider call: a crash from here on leaves
            # "sending", which a resumed job counts as unknown rather than send again.
            await self.redis.hset(claimed_key, citizen, "s:" + token)
            outcome, reason = "sent", ""
            try:
                await adapter.send(message)
            except ChannelError as err:
                outcome, reason = "failed", getattr(err, "reason", "") or _reason(err)
                if reason == "gone" or not err.retryable:
                    await self._forget(channel, citizen, reason)
            except Exception as err:  # noqa: BLE001 - one recipient must not stop the rest
                log.warning("broadcast send failed", exc_info=True)
                outcome, reason = "failed", type(err).__name__
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(claimed_key, citizen)
                pipe.hincrby(self.k.broadcast(broadcast_id), f"{outcome}:{channel}", 1)
                if reason:
                    pipe.hincrby(self.k.broadcast(broadcast_id),
                                 f"reason:{channel}:{reason}", 1)
                await pipe.execute()
            BROADCAST_MESSAGES.labels(channel, outcome).inc()

    def _message(self, record: Mapping[str, str], channel: str, subscriber: Mapping[str, str],
                 citizen: str) -> OutboundMessage:
        lang = subscriber.get("lang", "fr")
        address = subscriber["address"]
        # Push: the notification's title and link, and a topic, so that a resend replaces
        # an alert not yet shown rather than adding a second one.
        thread = {"title": record["title"], "url": record["url"], "topic": record["id"][-32:]}
        verbatim = record.get(f"text:{channel}:{'en' if lang == 'en' else 'fr'}")
        if verbatim:  # a pulse question: its text says how to answer and to stop
            text = verbatim
        elif channel == "email":
            text = f"{record['full']}\n{STOP_HINT['email']['en' if lang == 'en' else 'fr']}"
            thread["subject_line"] = record["title"]
            if self.email_footer is not None:  # a signed one-click unsubscribe link
                footer = self.email_footer(address, lang)
                text = record["full"] + footer["text"]
                thread["list_unsubscribe"] = footer["list_unsubscribe"]
        else:
            hint = STOP_HINT[channel]["en" if lang == "en" else "fr"]
            text = f"{record['text']} {hint}".strip()
        return OutboundMessage(
            # Push is no conversation channel: the adapter ignores the kind it is given.
            channel=ChannelKind(channel) if channel in ChannelKind._value2member_map_
            else ChannelKind.CHAT, address=address, text=text,
            conversation_id=record["id"], message_id=citizen, lang=lang, bulk=True,
            thread=thread)

    async def _forget(self, channel: str, citizen: str, reason: str) -> None:
        """A recipient the provider says is gone (blocked bot, invalid number, expired push
        endpoint): their subscription on that channel ends."""
        await self.subscriptions.unsubscribe_citizen(channel, citizen)
        log.info("alert subscription removed", extra={"channel": channel, "reason": reason})


def _reason(err: ChannelError) -> str:
    text = err.message.lower()
    for word in ("gone", "blocked", "invalid", "unreachable", "refused"):
        if word in text:
            return word
    return "retryable" if err.retryable else "refused"


def sender_of(ctx: WorkerContext) -> BroadcastSender:
    def build(ctx: WorkerContext) -> BroadcastSender:
        from channels.alerts.email_optin import alert_email_footer
        from channels.push.adapter import WebPush

        kit = outbound_kit(ctx)
        adapters: dict[str, ChannelAdapter] = {k.value: a for k, a in kit.adapters.items()}
        adapters["push"] = WebPush(ctx.settings)  # its VAPID keys are in the data dir
        secret = resolve_secret_key(ctx.settings)
        return BroadcastSender(
            ctx.redis, ChannelKeys(ctx.keys), secret, adapters, ctx.settings.broadcast_share,
            lambda address, lang: alert_email_footer(ctx.settings, secret, address, lang))
    return ctx.resource("channels.alerts", build)


def _jobs(ctx: WorkerContext) -> Jobs:
    from crisis.redis_client import sync_redis

    return ctx.resource("crisis.jobs", lambda c: Jobs(sync_redis(c.redis_url, decode=False),
                                                      c.keys))


async def enqueue_send(jobs: Jobs, redis: aioredis.Redis, keys: ChannelKeys,
                       broadcast_id: str, channel: str) -> None:
    """Reserve the channel for a continuation, then enqueue it (behind replies)."""
    await redis.set(keys.broadcast_lease(broadcast_id, channel), "queued", ex=QUEUED_LEASE_S)
    await jobs.enqueue_async(SEND_JOB, broadcast_id, channel, queue="bulk", retries=JOB_RETRIES)


@with_worker_context
async def prepare_broadcast_job(ctx: WorkerContext, broadcast_id: str) -> dict[str, int]:
    sender = sender_of(ctx)
    totals = await sender.broadcasts.snapshot(broadcast_id)
    for channel in totals:
        await enqueue_send(_jobs(ctx), ctx.redis, sender.k, broadcast_id, channel)
    return totals


@with_worker_context
async def send_broadcast_job(ctx: WorkerContext, broadcast_id: str, channel: str) -> str:
    sender = sender_of(ctx)
    token = secrets.token_hex(6)
    if not await sender.take_lease(broadcast_id, channel, token):
        return "another job holds this channel"
    finished = await sender.run_slice(broadcast_id, channel, token)
    if not finished:
        await enqueue_send(_jobs(ctx), ctx.redis, sender.k, broadcast_id, channel)
        return "continued"
    await ctx.redis.delete(sender.k.broadcast_lease(broadcast_id, channel))
    await finish_if_done(ctx.redis, sender.k, broadcast_id)
    return "done"


async def finish_if_done(redis: aioredis.Redis, keys: ChannelKeys, broadcast_id: str) -> None:
    broadcasts = Broadcasts(redis, keys)
    record = await broadcasts.get(broadcast_id)
    if record["state"] != SENDING:
        return
    for channel in record["channels"].split(","):
        if await redis.exists(keys.broadcast_to(broadcast_id, channel)) or \
                await redis.hlen(keys.broadcast_claimed(broadcast_id, channel)):
            return
    await redis.hset(keys.broadcast(broadcast_id), mapping={
        "state": DONE, "finished_at": utcnow().isoformat()})


async def resume_stalled(redis: aioredis.Redis, keys: ChannelKeys, jobs: Jobs) -> int:
    """Enqueue a job for every running broadcast channel that has work and no live job
    (its worker died). Returns how many were resumed."""
    broadcasts = Broadcasts(redis, keys)
    resumed = 0
    for broadcast_id in await broadcasts.running():
        record = await broadcasts.get(broadcast_id)
        if record["state"] == PREPARING:
            if await redis.set(keys.broadcast_lease(broadcast_id, "prepare"), "1", nx=True,
                               ex=QUEUED_LEASE_S):
                await jobs.enqueue_async(PREPARE_JOB, broadcast_id, queue="bulk", retries=0)
                resumed += 1
            continue
        for channel in record["channels"].split(","):
            has_work = await redis.exists(keys.broadcast_to(broadcast_id, channel)) or \
                await redis.hlen(keys.broadcast_claimed(broadcast_id, channel))
            if has_work and not await redis.exists(keys.broadcast_lease(broadcast_id, channel)):
                await enqueue_send(jobs, redis, keys, broadcast_id, channel)
                resumed += 1
        await finish_if_done(redis, keys, broadcast_id)
    return resumed
