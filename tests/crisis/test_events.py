"""The event bus: each group sees every event once, across processes, and after a restart."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from crisis.context import Context
from crisis.events import EventBus, make_event
from crisis.types import Event, utcnow
from tests.support.polling import until

CONSUMER = textwrap.dedent("""
    import asyncio, sys
    from crisis.events import EventBus
    from crisis.keys import Keys
    from crisis.redis_client import async_redis

    async def main(url, prefix, group, name, out, expected):
        client = async_redis(url)
        bus = EventBus(client, Keys(prefix))
        stop = asyncio.Event()
        seen = []
        async def handler(event):
            seen.append(event.subject)
            with open(out, "a") as f:
                f.write(event.subject + "\\n")
        await bus.ensure_group(group)
        await client.incr(Keys(prefix).scoped("test", "ready"))
        task = asyncio.create_task(bus.consume(group, handler, stop=stop, consumer=name, block_ms=100))
        while True:
            await asyncio.sleep(0.05)
            if int(await client.get(Keys(prefix).scoped("test", "done")) or 0) >= expected:
                break
        stop.set()
        await task
        await client.aclose()

    asyncio.run(main(*sys.argv[1:6], int(sys.argv[6])))
""")



async def test_two_processes_share_a_group_and_each_group_sees_every_event(
    ctx: Context, redis_url: str, tmp_path: Path
) -> None:
    outputs = {name: tmp_path / f"{name}.txt" for name in ("a1", "a2", "b1", "b2")}
    processes = [
        subprocess.Popen([sys.executable, "-c", CONSUMER, redis_url, ctx.keys.prefix,
                          f"group-{name[0]}", name, str(path), "1"])
        for name, path in outputs.items()
    ]
    try:
        async def all_consumers_joined() -> bool:
            return int(await ctx.redis.get(ctx.keys.scoped("test", "ready")) or 0) == 4

        await until(all_consumers_joined, timeout=20.0)
        subjects = [f"s{i}" for i in range(200)]
        for subject in subjects:
            await ctx.bus.publish(make_event("test.ping", actor="test", subject=subject))

        async def all_delivered() -> bool:
            lines = {g: [] for g in "ab"}  # type: dict[str, list[str]]
            for name, path in outputs.items():
                if path.exists():  # a consumer that got nothing wrote no file
                    lines[name[0]] += path.read_text().split()
            return all(len(v) >= len(subjects) for v in lines.values())

        await until(all_delivered, timeout=20.0)
        await ctx.redis.set(ctx.keys.scoped("test", "done"), 1)
        for process in processes:
            assert process.wait(20) == 0
        for group in "ab":
            got = [s for n, p in outputs.items() if n[0] == group and p.exists()
                   for s in p.read_text().split()]
            assert sorted(got) == sorted(subjects), f"group {group}: duplicates or losses"
    finally:
        for process in processes:
            process.kill() if process.poll() is None else None


async def test_events_written_before_a_group_exists_are_read(ctx: Context) -> None:
    await ctx.bus.publish(make_event("test.early", actor="test", subject="early"))
    seen: list[Event] = []
    stop = asyncio.Event()

    async def handler(event: Event) -> None:
        seen.append(event)
        stop.set()

    await asyncio.wait_for(ctx.bus.consume("late-group", handler, stop=stop, block_ms=50), 10)
    assert [e.subject for e in seen] == ["early"]


async def test_a_failing_handler_parks_the_event_and_the_stream_goes_on(ctx: Context) -> None:
    await ctx.bus.publish(make_event("test.poison", actor="test", subject="bad"))
    await ctx.bus.publish(make_event("test.fine", actor="test", subject="good"))
    handled: list[str] = []
    stop = asyncio.Event()

    async def handler(event: Event) -> None:
        if event.subject == "bad":
            raise RuntimeError("bug in a subscriber")
        handled.append(event.subject)
        stop.set()

    await asyncio.wait_for(ctx.bus.consume("fragile", handler, stop=stop, block_ms=50), 10)
    assert handled == ["good"]
    dead = await ctx.redis.xrange(f"{ctx.keys.events}:dead:fragile")
    assert len(dead) == 1 and json.loads(dead[0][1]["event"])["subject"] == "bad"


async def test_a_group_gets_only_its_types_and_every_event_is_acknowledged(ctx: Context) -> None:
    for i in range(150):  # more than one read batch, mostly events the group does not want
        kind = "crisis.activated" if i % 50 == 0 else "conversation.message_received"
        await ctx.bus.publish(make_event(kind, actor="test", subject=f"s{i}"))
    await ctx.bus.publish(make_event("test.last", actor="test", subject="last"))
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(event: Event) -> None:
        seen.append(f"{event.type} {event.subject}")
        if event.type == "test.last":
            stop.set()

    await asyncio.wait_for(ctx.bus.consume("crisis-only", handler, stop=stop, block_ms=50,
                                           types=("crisis.activated", "test.last")), 10)
    assert seen == ["crisis.activated s0", "crisis.activated s50", "crisis.activated s100",
                    "test.last last"]
    pending = await ctx.redis.xpending(ctx.keys.events, "crisis-only")
    assert pending["pending"] == 0, "skipped or handled events left unacknowledged"


async def test_a_batch_handler_leaves_events_to_the_handler_and_fails_safe(
        ctx: Context) -> None:
    """The bus gives a read's events to the batch handler first, then those it left to the
    one-at-a-time handler; a batch handler that fails hands the whole read to the handler."""
    bus = EventBus(ctx.redis, ctx.keys)
    for subject in ("a", "b", "c"):
        await bus.publish(Event(type="test.event", at=utcnow(), actor="t", subject=subject))
    one: list[str] = []
    together: list[list[str]] = []

    async def handler(event: Event) -> None:
        one.append(event.subject)

    async def batch(events: list[Event]) -> list[Event]:
        together.append([e.subject for e in events])
        if len(together) == 1:
            return [e for e in events if e.subject == "b"]
        raise ValueError("a bug in the phases")

    async def handled() -> list[str]:
        return one

    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume("g", handler, stop=stop, block_ms=50, batch=batch))
    try:
        assert await until(handled, ok=lambda seen: seen == ["b"]) == ["b"]
        assert together == [["a", "b", "c"]]
        await bus.publish(Event(type="test.event", at=utcnow(), actor="t", subject="d"))
        assert await until(handled, ok=lambda seen: seen == ["b", "d"]) == ["b", "d"]
        assert together == [["a", "b", "c"], ["d"]]
    finally:
        stop.set()
        await task


async def test_a_batch_groups_next_read_starts_before_the_last_ends_and_acks_wait(
        ctx: Context) -> None:
    """Two reads in flight at once: the second read's events are handled while the first's
    still wait, and no event is acknowledged before its read, and the reads before it, are
    handled (a crash then redelivers them)."""
    bus = EventBus(ctx.redis, ctx.keys)
    for n in range(150):  # two reads: 100, then 50
        await bus.publish(Event(type="test.event", at=utcnow(), actor="t", subject=f"s{n}"))
    release = asyncio.Event()
    sizes: list[int] = []

    async def handler(event: Event) -> None:
        raise AssertionError("the batch handler takes them all")

    async def batch(events: list[Event]) -> list[Event]:
        sizes.append(len(events))
        if events[0].subject == "s0":
            await release.wait()
        return []

    async def seen() -> list[int]:
        return sizes

    async def pending() -> int:
        return int((await ctx.redis.xpending(ctx.keys.events, "g"))["pending"])

    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume("g", handler, stop=stop, block_ms=50, batch=batch))
    try:
        await until(seen, ok=lambda got: got == [100, 50])
        assert await pending() == 150  # the 50 are handled, but acknowledged after the 100
        release.set()
        assert await until(pending, ok=lambda n: n == 0) == 0
    finally:
        release.set()
        stop.set()
        await task


async def test_a_group_skipping_a_flood_reads_it_in_batches_and_keeps_up(ctx: Context) -> None:
    """While citizens' events stream in a few at a time, a group that handles none of them
    reads them in larger batches (crisis/events.py SKIPPING_PAUSE_S), gets its own event
    among them at once after its next read, and is never left behind: at the end of the
    flood everything was read and acknowledged."""
    seen: list[str] = []
    reads = 0
    stop = asyncio.Event()
    read = ctx.bus._acknowledge_and_read

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await read(*args, **kwargs)

    async def handler(event: Event) -> None:
        seen.append(event.subject)

    ctx.bus._acknowledge_and_read = counted  # type: ignore[method-assign]
    # It handles one kind of conversation event, so it reads the conversations' stream.
    consumer = asyncio.create_task(ctx.bus.consume("rare", handler, stop=stop, block_ms=50,
                                                   types=("conversation.assign",)))
    try:
        await ctx.bus.ensure_group("rare", ("conversation.assign",))
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i in range(400):  # ~2 s of a steady flow, a few events at a time
            await ctx.bus.publish(make_event("conversation.message_received", actor="test",
                                             subject=f"c{i}"))
            if i == 200:
                await ctx.bus.publish(make_event("conversation.assign", actor="test", subject="k"))
                activated = loop.time()
            await asyncio.sleep(0.005)
        flooded = loop.time() - started
        async def got() -> bool:
            return "k" in seen

        await until(got)
        assert seen == ["k"]
        assert loop.time() - activated < flooded  # not held to the end of the flood

        async def caught_up() -> bool:
            stream = ctx.keys.conversation_events
            info = {g["name"]: g for g in await ctx.redis.xinfo_groups(stream)}["rare"]
            last = (await ctx.redis.xrevrange(stream, count=1))[0][0]
            return info["last-delivered-id"] == last and info["pending"] == 0

        await until(caught_up)
    finally:
        stop.set()
        await consumer
        del ctx.bus._acknowledge_and_read
    # Reads of one or two events each would be hundreds: the pause gathers ~20 a read.
    assert reads < 100, reads


async def test_conversation_events_have_their_own_stream_read_only_by_their_groups(
        ctx: Context) -> None:
    """A flood of citizens' messages is not read at all by a group of crisis events (the
    site builder, the alerts...): they are in another stream. The timeline still shows both
    kinds, in the order they happened."""
    await ctx.bus.publish(make_event("crisis.activated", actor="test", subject="k1"))
    for i in range(50):
        await ctx.bus.publish(make_event("conversation.message_received", actor="test",
                                         subject=f"c{i}"))
    await ctx.bus.publish(make_event("crisis.closed", actor="test", subject="k1"))
    assert await ctx.redis.xlen(ctx.keys.events) == 2
    assert await ctx.redis.xlen(ctx.keys.conversation_events) == 50

    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(event: Event) -> None:
        seen.append(event.type)
        if event.type == "crisis.closed":
            stop.set()

    await asyncio.wait_for(ctx.bus.consume("crisis-only", handler, stop=stop, block_ms=50,
                                           types=("crisis.activated", "crisis.closed")), 10)
    assert seen == ["crisis.activated", "crisis.closed"]
    groups = {g["name"] for g in await ctx.redis.xinfo_groups(ctx.keys.conversation_events)}
    assert "crisis-only" not in groups, "a crisis group read the conversations' stream"

    timeline = await ctx.bus.read_all()
    assert [e.subject for e in timeline] == ["k1", *(f"c{i}" for i in range(50)), "k1"]


async def test_a_conversation_group_still_gets_events_from_before_the_split(
        ctx: Context) -> None:
    """A group handling only citizens' messages (the watch's) still reads the main stream:
    a message event written there by a version before the split (an upgrade with a backlog)
    is delivered, once, with the new ones."""
    old = make_event("conversation.message_received", actor="test", subject="before")
    await ctx.redis.xadd(ctx.keys.events, {"event": json.dumps({
        "type": old.type, "at": old.at.isoformat(), "actor": old.actor,
        "subject": old.subject, "reason": "", "data": {}})})
    await ctx.bus.publish(make_event("conversation.message_received", actor="test",
                                     subject="after"))
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(event: Event) -> None:
        seen.append(event.subject)
        if len(seen) == 2:
            stop.set()

    await asyncio.wait_for(ctx.bus.consume("watch", handler, stop=stop, block_ms=50,
                                           types=("conversation.message_received",)), 10)
    assert sorted(seen) == ["after", "before"]
    for stream in ctx.bus.streams:
        assert (await ctx.redis.xpending(stream, "watch"))["pending"] == 0


async def test_the_conversations_stream_keeps_what_a_group_has_not_read_or_acknowledged(
        ctx: Context) -> None:
    """Cut to what every group has read and acknowledged, never by length: behind a surge, an
    event no group has handled yet is still there (a length cap trimmed it: a citizen's
    message acknowledged, never answered nor queued)."""
    stream = ctx.keys.conversation_events
    ids = [await ctx.bus.publish(make_event("conversation.message_received", actor="test",
                                            subject=f"c{i}")) for i in range(30)]
    assert await ctx.bus.trim_delivered() == 0  # no group yet: the first reads from the start
    for group in ("fast", "slow"):
        await ctx.redis.xgroup_create(stream, group, id="0")
    assert await ctx.bus.trim_delivered() == 0  # nobody read anything
    await ctx.redis.xreadgroup("fast", "f", {stream: ">"}, count=30)
    await ctx.redis.xack(stream, "fast", *ids)
    read = await ctx.redis.xreadgroup("slow", "s", {stream: ">"}, count=20)
    assert len(read[0][1]) == 20
    await ctx.redis.xack(stream, "slow", *ids[:12])  # 8 read, not acknowledged: kept for a claim
    assert await ctx.bus.trim_delivered() == 12
    assert [entry_id for entry_id, _ in await ctx.redis.xrange(stream)] == ids[12:]
    assert await ctx.bus.conversation_backlog() == 18
    await ctx.redis.xack(stream, "slow", *ids[12:20])
    assert await ctx.bus.trim_delivered() == 8
    assert await ctx.bus.conversation_backlog() == 10  # the 10 the slow group has not read
    # The main stream (crisis events, a few a minute) keeps its length cap, untouched here.
    await ctx.bus.publish(make_event("crisis.activated", actor="test", subject="k1"))
    await ctx.bus.trim_delivered()
    assert await ctx.redis.xlen(ctx.keys.events) == 1


async def _ten_events_read_by_inbound(ctx: Context, other_group: str) -> list[str]:
    """Ten conversation events, read and acknowledged by group "inbound"; `other_group`
    created beside it, having read nothing."""
    stream = ctx.keys.conversation_events
    ids = [await ctx.bus.publish(make_event("conversation.message_received", actor="test",
                                            subject=f"c{i}")) for i in range(10)]
    for group in ("inbound", other_group):
        await ctx.redis.xgroup_create(stream, group, id="0")
    await ctx.redis.xreadgroup("inbound", "i", {stream: ">"}, count=10)
    await ctx.redis.xack(stream, "inbound", *ids)
    return ids


async def test_only_the_groups_this_version_runs_hold_the_conversations_stream(
        ctx: Context) -> None:
    """A group left on the stream that no process runs any more (the telephone's callbacks
    once Twilio is switched off, a group a later version renamed) is not waited for: it would
    hold every event until citizens' messages were refused."""
    await _ten_events_read_by_inbound(ctx, "abandoned")
    assert await ctx.bus.trim_delivered() == 0  # every group: the abandoned one holds all
    assert await ctx.bus.trim_delivered(subscribed={"inbound"}) == 10
    assert await ctx.bus.trim_delivered(subscribed={"unknown"}) == 0  # none of ours: untouched


async def test_a_group_another_version_reads_holds_the_conversations_stream(
        ctx: Context) -> None:
    """During a rolling upgrade, a group only the new version runs is not in the old
    version's subscriptions: its processes still wait for it while its readers are alive, so
    the old version's trims cut nothing it has not read."""
    stream = ctx.keys.conversation_events
    ids = await _ten_events_read_by_inbound(ctx, "added-by-the-new-version")
    read = await ctx.redis.xreadgroup("added-by-the-new-version", "new-1", {stream: ">"},
                                      count=4)
    await ctx.redis.xack(stream, "added-by-the-new-version", *[i for i, _ in read[0][1]])
    assert await ctx.bus.trim_delivered(subscribed={"inbound"}) == 4
    assert [entry_id for entry_id, _ in await ctx.redis.xrange(stream)] == ids[4:]

