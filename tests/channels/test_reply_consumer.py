"""The reply consumer: replies handed over by the desk are read from the stream many at a time
and sent once each, through the real Twilio client to the stand-in over loopback; a dead
consumer's unacknowledged replies are taken over (never sent twice: one caught in its
provider call is recorded failed); a provider error becomes a retry job or a failed status."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import socket
import subprocess
import threading
from collections.abc import AsyncIterator

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from channels.adapters import provider_adapters
from channels.keys import ChannelKeys
from channels.outbound import SEND_REPLY_JOB, Outbound
from channels.outbox import Outbox
from channels.pacing import PACE_TIMEOUT_S, Pacer
from channels.reply_consumer import RETRIES, ReplyConsumer
from channels.reply_stream import GROUP, QueuedReply, ReplyStream
from channels.store import ConversationStore
from crisis.abandoned_jobs import is_dead_local_process
from crisis.context import Context
from crisis.jobs import queue_name
from crisis.settings import load_settings
from crisis.types import ChannelKind, DeliveryStatus, InboundMessage, Message, utcnow
from testbed.twilio import TwilioStandIn
from tests.support.polling import until

TEXT = "Une inondation peut contaminer le reseau d'eau potable. Suivez les consignes."


@pytest.fixture
async def kit(ctx: Context, env: dict[str, str]) -> AsyncIterator[Outbound]:
    """A worker's sending kit, its sender's pace out of the way (the pacing has its tests)."""
    keys = ChannelKeys(ctx.keys)
    store = ConversationStore(ctx.redis, keys, ctx.bus, ctx.secret)
    settings = load_settings({**env, "TWILIO_MESSAGES_PER_SECOND": "10000"})
    outbound = Outbound(store, provider_adapters(settings), Pacer(ctx.redis, keys))
    yield outbound
    await outbound.aclose()


def consumer(ctx: Context, kit: Outbound, name: str) -> ReplyConsumer:
    async def retry(reply: QueuedReply) -> None:  # as a worker does (channels/reply_consumer)
        await asyncio.to_thread(ctx.jobs.enqueue_in, dt.timedelta(seconds=1), SEND_REPLY_JOB,
                                reply.kind, reply.conversation_id, reply.message_id,
                                queue="replies", retries=RETRIES)
    return ReplyConsumer(kit, ReplyStream(ctx.redis, kit.store.k), name, retry)


async def hand_over(kit: Outbound, ctx: Context, count: int) -> list[tuple[str, Message]]:
    """`count` citizens' SMS, each answered by a reply the desk's Outbox hands over."""
    outbox = Outbox(kit.store, ctx.jobs, dict(kit.adapters))
    replies = []
    for n in range(count):
        received = await kit.store.receive(InboundMessage(
            channel=ChannelKind.SMS, address=f"+3361{n:07d}", text="l'eau est potable ?",
            provider_id=f"SMrc{n:026d}", received_at=utcnow()))
        assert received is not None
        message = await kit.store.add_outbound(received.conversation_id, TEXT, "auto")
        await outbox.hand_over(await kit.store.get(received.conversation_id), message)
        replies.append((received.conversation_id, message))
    return replies


async def status(kit: Outbound, conversation_id: str, message_id: str) -> DeliveryStatus:
    return next(m.status for m in await kit.store.messages(conversation_id) if m.id == message_id)


def dead_process_name() -> str:
    """The name a worker of this host had, whose process has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}-{process.pid}"


async def test_handed_over_replies_are_sent_in_batches_once_each(
        ctx: Context, kit: Outbound, twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    replies = await hand_over(kit, ctx, 150)
    stream = ReplyStream(ctx.redis, kit.store.k)
    assert await ctx.redis.xlen(stream.key) == 150  # waiting for a worker, not sent inline
    assert standin.messages == []
    sent = await consumer(ctx, kit, f"{socket.gethostname()}-{os.getpid()}").drain()
    assert sent == 150
    to = collections.Counter(m["To"] for m in standin.messages)
    assert to == {f"+3361{n:07d}": 1 for n in range(150)}
    assert {await status(kit, c, m.id) for c, m in replies} == {DeliveryStatus.SENT}
    assert await ctx.redis.xlen(stream.key) == 0  # handled entries are deleted
    # A reply queued again (a retried hand-over) is not sent again.
    await stream.add("sms", replies[0][0], replies[0][1].id)
    assert await consumer(ctx, kit, "again").drain() == 1
    assert len(standin.messages) == 150


async def test_a_dead_consumers_replies_are_taken_over_and_none_goes_twice(
        ctx: Context, kit: Outbound, twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    replies = await hand_over(kit, ctx, 30)
    stream = ReplyStream(ctx.redis, kit.store.k)
    await stream.ensure_group()
    dead = dead_process_name()
    held = await stream.read(dead, 10, None)  # read by a worker then killed -9 mid-batch:
    assert len(held) == 10
    # ... it had sent the first (not acknowledged yet), was in the provider call of the
    # second (its "sending" mark set), and never got to the others.
    await kit.send(ChannelKind.SMS, held[0].conversation_id, held[0].message_id)
    await ctx.redis.set(kit.store.k.sending(held[1].message_id), "1")
    live = f"{socket.gethostname()}-{os.getpid()}"  # a live worker's batch is left alone
    in_flight = await stream.read(live, 5, None)
    assert len(in_flight) == 5

    survivor = consumer(ctx, kit, "survivor")

    async def all_taken_over() -> int:
        await survivor.drain()
        return len(standin.messages)
    await until(all_taken_over, 10, ok=lambda n: n >= 30 - 5 - 1)

    to = collections.Counter(m["To"] for m in standin.messages)
    assert max(to.values()) == 1, to  # nobody written to twice
    assert len(to) == 30 - 5 - 1
    by_id = {m.id: c for c, m in replies}
    assert await status(kit, by_id[held[0].message_id], held[0].message_id) \
        is DeliveryStatus.SENT
    # The one caught in its provider call: outcome unknown, recorded failed, not resent.
    assert await status(kit, by_id[held[1].message_id], held[1].message_id) \
        is DeliveryStatus.FAILED
    for reply in in_flight:
        assert await status(kit, reply.conversation_id, reply.message_id) \
            is DeliveryStatus.QUEUED
    consumers = {c["name"]: c["pending"] for c in await ctx.redis.xinfo_consumers(stream.key,
                                                                                  GROUP)}
    assert consumers.get(live) == 5 and consumers.get("survivor") == 0
    await survivor.drain()  # holding nothing, the dead one is forgotten
    assert dead not in {c["name"] for c in await ctx.redis.xinfo_consumers(stream.key, GROUP)}
    assert is_dead_local_process(dead) and not is_dead_local_process(live)


async def test_provider_errors_become_a_retry_job_or_a_failed_status(
        ctx: Context, kit: Outbound, twilio: tuple[TwilioStandIn, str]) -> None:
    standin, _ = twilio
    replies = await hand_over(kit, ctx, 2)
    standin.fail_next = [503, 400]  # Twilio busy for one, refusing the other
    assert await consumer(ctx, kit, "c1").drain() == 2
    assert standin.messages == []
    statuses = {m.id: (c, await status(kit, c, m.id)) for c, m in replies}
    assert sorted(s for _, s in statuses.values()) == [DeliveryStatus.FAILED,
                                                       DeliveryStatus.QUEUED]
    [(busy_id, (busy_conversation, _))] = [(i, v) for i, v in statuses.items()
                                           if v[1] is DeliveryStatus.QUEUED]
    # The busy one waits for RQ's scheduler as a send_reply job with retries left.
    queue = Queue(queue_name(ctx.keys, "replies"), connection=ctx.jobs.connection)
    [job_id] = ScheduledJobRegistry(queue=queue).get_job_ids()  # type: ignore[no-untyped-call]
    job = queue.fetch_job(job_id)
    assert job is not None and job.func_name == SEND_REPLY_JOB
    assert job.args == ("sms", busy_conversation, busy_id) and job.retries_left == RETRIES
    assert await ctx.redis.xlen(ReplyStream(ctx.redis, kit.store.k).key) == 0


async def test_a_running_consumer_gets_past_a_batch_that_keeps_failing(
        ctx: Context, kit: Outbound, twilio: tuple[TwilioStandIn, str]) -> None:
    """A reply whose stored conversation cannot be read fails its whole batch: after a few
    tries its batch goes to retry jobs (the failed registry keeps what never goes) and the
    replies behind it are sent."""
    standin, _ = twilio
    stream = ReplyStream(ctx.redis, kit.store.k)
    await ctx.redis.hset(kit.store.k.conversation("broken"), mapping={"not": "a conversation"})
    await ctx.redis.hset(kit.store.k.outbound_index("broken"), "m1", "0")
    await stream.add("sms", "broken", "m1")
    running = consumer(ctx, kit, "runner")
    stop = threading.Event()
    task = asyncio.create_task(running.run(stop))
    try:
        queue = Queue(queue_name(ctx.keys, "replies"), connection=ctx.jobs.connection)
        registry = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]

        async def handed_to_a_job() -> list[str]:
            return list(registry.get_job_ids())
        [job_id] = await until(handed_to_a_job, 15)
        job = queue.fetch_job(job_id)
        assert job is not None and job.args == ("sms", "broken", "m1")
        [(conversation_id, message)] = await hand_over(kit, ctx, 1)

        async def sent() -> int:
            return len(standin.messages)
        await until(sent, 10)
        assert await status(kit, conversation_id, message.id) is DeliveryStatus.SENT
        assert await ctx.redis.xlen(stream.key) == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def test_a_batch_holds_no_more_than_the_slowest_sender_lets_out_in_time() -> None:
    """Ten SMS a second and five workers: 64 replies each would wait 32 s for the pacing and
    time out into retry jobs; each reads 20 (the consumers together hold 10 s of the rate)."""
    from channels.reply_consumer import BATCH, HOLD_S, batch_size, slowest_rate

    assert HOLD_S * 3 == PACE_TIMEOUT_S
    assert batch_size(10, 5) == 20 and batch_size(10, 1) == BATCH and batch_size(1, 50) == 1
    assert batch_size(float("inf"), 3) == BATCH
    base = {"CRISIS_SECRET_KEY": "x" * 32}
    assert slowest_rate(load_settings(base)) == 10
    assert slowest_rate(load_settings({**base, "TWILIO_ACCOUNT_MESSAGES_PER_SECOND": "4"})) == 4


async def test_the_batch_is_sized_by_the_consumers_sharing_the_sender(
        ctx: Context, kit: Outbound, twilio: tuple[TwilioStandIn, str]) -> None:
    """Two live consumers on a 10-a-second sender read 50 at a time each (a dead one does
    not count); alone, one reads a whole BATCH."""
    from channels.reply_consumer import BATCH
    from channels.reply_stream import GROUP
    await hand_over(kit, ctx, 120)
    stream = ReplyStream(ctx.redis, kit.store.k)
    await stream.ensure_group()
    await stream.read("other-live-worker", 1, None)  # a consumer that read just now
    await stream.read(dead_process_name(), 1, None)  # one whose process is gone
    first = consumer(ctx, kit, f"{socket.gethostname()}-{os.getpid()}")
    first.slowest_per_second = 10
    assert len(await first.next_batch(None, take_over=True)) == 50
    assert first.batch == 50
    await ctx.redis.xgroup_delconsumer(stream.key, GROUP, "other-live-worker")
    assert len(await first.next_batch(None, take_over=True)) == BATCH  # alone now
