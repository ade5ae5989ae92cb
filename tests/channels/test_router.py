"""The router under concurrency: never two operators for one conversation, never over capacity."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from collections import Counter

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from channels.keys import ChannelKeys
from channels.router import Router, skill_of
from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.keys import Keys
from crisis.types import ChannelKind, OperatorStatus

ASSIGNER = textwrap.dedent("""
    import asyncio, sys
    from channels.keys import ChannelKeys
    from channels.router import Router
    from crisis.keys import Keys
    from crisis.redis_client import async_redis

    async def main(url, prefix):
        client = async_redis(url)
        router = Router(client, ChannelKeys(Keys(prefix)))
        pairs = []
        for _ in range(60):
            pairs += await router.assign()
        print("\\n".join(f"{c} {o}" for c, o in pairs))
        await client.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")
T0 = 1_800_000_000.0  # a fixed clock for the skill waits


async def _operators(router: Router, count: int, capacity: int = 3) -> None:
    for number in range(count):
        await router.set_operator(f"op{number}", OperatorStatus.AVAILABLE, capacity=capacity)


async def test_two_processes_assigning_200_conversations_to_20_operators(
    ctx: Context, redis_url: str
) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await _operators(router, 20)
    for number in range(200):
        channel = ChannelKind.VOICE if number % 10 == 0 else ChannelKind.SMS
        await router.enqueue(f"c{number}", skill_of("fr", channel), urgent=number % 7 == 0)
    processes = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", ASSIGNER, redis_url, ctx.keys.prefix,
        stdout=asyncio.subprocess.PIPE) for _ in range(2)]
    outputs = [(await p.communicate())[0].decode().split("\n") for p in processes]
    pairs = [line.split() for out in outputs for line in out if line.strip()]
    conversations = Counter(c for c, _ in pairs)
    assert conversations and max(conversations.values()) == 1  # never assigned twice
    for state in await router.operators():
        assert state.load <= state.capacity
        voice = [c for c in state.conversations if int(c[1:]) % 10 == 0]
        assert not voice or len(state.conversations) == 1  # a call takes the whole operator
    # 20 operators x capacity 3 = 60 slots; calls take 3 each: every slot that can be used is.
    assert sum(s.load for s in await router.operators()) >= 57
    assert await router.queue_length() == 200 - len(pairs)


async def test_urgent_first_then_oldest(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.enqueue("old", skill_of("fr", ChannelKind.SMS))
    await router.enqueue("urgent", skill_of("fr", ChannelKind.SMS), urgent=True)
    await router.enqueue("new", skill_of("fr", ChannelKind.SMS))
    await _operators(router, 1, capacity=1)
    assert await router.assign() == [("urgent", "op0")]


async def test_skills_are_respected(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("francophone", OperatorStatus.AVAILABLE, langs=("fr",))
    await router.enqueue("english", skill_of("en", ChannelKind.CHAT))
    assert await router.assign() == []
    await router.set_operator("bilingual", OperatorStatus.AVAILABLE, langs=("fr", "en"))
    assert await router.assign() == [("english", "bilingual")]


async def test_longest_idle_operator_first_and_paused_get_nothing(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("first", OperatorStatus.AVAILABLE)
    await router.set_operator("second", OperatorStatus.AVAILABLE)
    await router.set_operator("resting", OperatorStatus.PAUSE)
    for name in ("a", "b", "c"):
        await router.enqueue(name, skill_of("fr", ChannelKind.CHAT))
    assigned = dict(await router.assign())
    assert assigned["a"] == "first" and assigned["b"] == "second" and assigned["c"] == "first"
    assert (await router.operator("resting")).load == 0


async def test_a_topic_waits_for_an_operator_with_it_then_spills_over(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("assureur", OperatorStatus.AVAILABLE, capacity=1,
                              topics=("assurance",))
    await router.set_operator("generalist", OperatorStatus.AVAILABLE)
    await router.enqueue("plain", skill_of("fr", ChannelKind.SMS), now=T0)
    await router.enqueue("claim1", skill_of("fr", ChannelKind.SMS, "assurance"), now=T0)
    await router.enqueue("claim2", skill_of("fr", ChannelKind.SMS, "assurance"), now=T0 + 1)
    # The generalist idles longest but does not have the topic: the specialist gets claim1;
    # claim2 waits for the (now full) specialist while the wait lasts.
    assert dict(await router.assign(skill_wait_s=120, now=T0 + 2)) == {
        "plain": "generalist", "claim1": "assureur"}
    assert await router.assign(skill_wait_s=120, now=T0 + 120) == []
    assert await router.assign(skill_wait_s=120, now=T0 + 121) == [("claim2", "generalist")]


async def test_a_topic_nobody_signed_in_has_does_not_wait(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("generalist", OperatorStatus.AVAILABLE)
    await router.set_operator("away", OperatorStatus.OFFLINE, topics=("eau",))
    await router.enqueue("water", skill_of("fr", ChannelKind.CHAT, "eau"), now=T0)
    assert await router.assign(now=T0) == [("water", "generalist")]
    # A specialist on a break is coming back: the conversation waits for them.
    await router.set_operator("away", OperatorStatus.PAUSE)
    await router.enqueue("water2", skill_of("fr", ChannelKind.CHAT, "eau"), now=T0)
    assert await router.assign(skill_wait_s=60, now=T0 + 1) == []
    # The language stays required after the spill-over.
    await router.enqueue("english", skill_of("en", ChannelKind.CHAT, "eau"), now=T0)
    assert await router.assign(skill_wait_s=60, now=T0 + 61) == [("water2", "generalist")]


async def test_a_language_nobody_signed_in_speaks_goes_to_anyone_after_the_wait(
        ctx: Context) -> None:
    """A tourist's English SMS at night: no English speaker signed in. It waits the language
    wait, then any operator takes it (rather than waiting forever); while an English speaker
    is signed in, even on a break, it waits for them."""
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("francophone", OperatorStatus.AVAILABLE, langs=("fr",))
    await router.enqueue("tourist", skill_of("en", ChannelKind.SMS), now=T0)
    assert await router.assign(lang_wait_s=180, now=T0 + 179) == []
    assert await router.assign(lang_wait_s=180, now=T0 + 181) == [("tourist", "francophone")]
    await router.set_operator("anglophone", OperatorStatus.PAUSE, langs=("en",))
    await router.enqueue("tourist2", skill_of("en", ChannelKind.SMS), now=T0)
    assert await router.assign(lang_wait_s=180, now=T0 + 500) == []
    assert await router.assign(lang_wait_s=0, now=T0 + 5000) == []  # 0: always wait


async def test_move_checks_room_and_moves_the_load(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("a", OperatorStatus.AVAILABLE, capacity=2)
    await router.enqueue("c1", skill_of("fr", ChannelKind.SMS))
    await router.enqueue("call", skill_of("fr", ChannelKind.VOICE))
    assert await router.assign() == [("c1", "a")]  # the call needs the whole operator
    await router.set_operator("b", OperatorStatus.PAUSE, capacity=2)
    with pytest.raises(InvalidInput, match="not available"):
        await router.move("c1", "b")
    await router.set_operator("b", OperatorStatus.AVAILABLE)
    with pytest.raises(InvalidInput, match="already has"):
        await router.move("c1", "a")
    assert await router.move("c1", "b") == "a"
    assert (await router.operator("a")).load == 0 and (await router.operator("b")).load == 1
    with pytest.raises(InvalidInput, match="no room"):
        await router.move("call", "b")  # from the queue: a call takes 2, b has 1 left
    assert await router.move("call", "a") is None
    assert (await router.operator("a")).load == 2 and await router.queue_length() == 0
    with pytest.raises(InvalidInput, match="left the queue"):
        await router.move("unknown", "b")


async def test_two_moves_at_once_land_one_after_the_other(ctx: Context) -> None:
    """A move reads who holds the conversation before its script runs (the script is given
    that operator's keys); when the other move changed the holder in between, it reads again."""
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    for name in ("a", "b", "c"):
        await router.set_operator(name, OperatorStatus.AVAILABLE)
    await router.enqueue("c1", skill_of("fr", ChannelKind.SMS))
    [(_, first)] = await router.assign()
    targets = [name for name in ("a", "b", "c") if name != first]
    # Two pooled connections: both reads are answered before either script runs.
    await asyncio.gather(*(ctx.redis.ping() for _ in range(2)))
    previous = dict(zip(targets, await asyncio.gather(*(router.move("c1", t) for t in targets))))
    states = {name: await router.operator(name) for name in ("a", "b", "c")}
    [holder] = [name for name, state in states.items() if state.conversations == ("c1",)]
    [moved_first] = [name for name in targets if name != holder]
    assert previous == {moved_first: first, holder: moved_first}
    assert {name: state.load for name, state in states.items()} == {
        "a": 0, "b": 0, "c": 0, holder: 1}


async def test_a_held_conversation_is_not_queued_again(ctx: Context) -> None:
    router = Router(ctx.redis, ChannelKeys(ctx.keys))
    await router.set_operator("a", OperatorStatus.AVAILABLE)
    await router.enqueue("c1", skill_of("fr", ChannelKind.SMS))
    assert await router.assign() == [("c1", "a")]
    assert not await router.enqueue("c1", skill_of("fr", ChannelKind.SMS), head=True)
    await router.release("c1", "someone-else")  # not theirs: nothing happens
    assert (await router.operator("a")).conversations == ("c1",)
    await router.release("c1", "a")
    assert await router.enqueue("c1", skill_of("fr", ChannelKind.SMS, "eau"), head=True)
    assert await router.queued_skill("c1") == "fr|sms|eau|1"


TOPIC_OF = ("", "eau", "assurance")
OPERATOR_TOPICS = (("eau",), (), ("assurance", "eau"))
SKILL_WAIT_S = 150


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["enqueue", "call", "available", "pause",
                                                 "offline", "assign", "release", "move",
                                                 "to-skill", "tick"]), st.integers(0, 5)),
                      min_size=1, max_size=40))
async def test_any_sequence_keeps_capacity_uniqueness_and_topics(
        ctx: Context, steps: list[tuple[str, int]]) -> None:
    # A fresh key space per example: hypothesis replays examples while shrinking.
    router = Router(ctx.redis, ChannelKeys(Keys(f"{ctx.keys.prefix}h{uuid.uuid4().hex[:8]}:")))
    owner: dict[str, str] = {}
    since: dict[str, float] = {}  # queued conversation -> when it entered its skill queue
    topic: dict[str, str] = {}
    cost: dict[str, int] = {}
    status: dict[str, OperatorStatus] = {}
    now = T0
    for step, number in steps:
        conversation, operator = f"c{number}", f"o{number % 3}"
        if step in ("enqueue", "call"):
            channel = ChannelKind.VOICE if step == "call" else ChannelKind.SMS
            if await router.enqueue(conversation, skill_of("fr", channel, TOPIC_OF[number % 3]),
                                    now=now):
                assert conversation not in owner
                since.setdefault(conversation, now)
                topic[conversation] = (await router.queued_skill(conversation) or "").split("|")[2]
        elif step in ("available", "pause", "offline"):
            status[operator] = OperatorStatus(step)
            await router.set_operator(operator, status[operator], capacity=2,
                                      topics=OPERATOR_TOPICS[number % 3])
        elif step == "assign":
            staffed = {t for o, s in status.items() if s is not OperatorStatus.OFFLINE
                       for t in OPERATOR_TOPICS[int(o[1:])]}
            for assigned, to in await router.assign(skill_wait_s=SKILL_WAIT_S, now=now):
                assert assigned not in owner
                wanted = topic[assigned]
                assert (not wanted or wanted in OPERATOR_TOPICS[int(to[1:])]
                        or wanted not in staffed or now - since[assigned] >= SKILL_WAIT_S)
                owner[assigned] = to
                del since[assigned]
        elif step == "move" and (conversation in owner or conversation in since):
            try:
                previous = await router.move(conversation, operator)
            except InvalidInput:
                continue
            assert previous == owner.get(conversation)
            owner[conversation] = operator
            since.pop(conversation, None)
        elif step == "to-skill" and conversation in owner:  # as the console's skill transfer
            await router.release(conversation, owner.pop(conversation))
            assert await router.enqueue(conversation, skill_of("fr", ChannelKind.SMS, "eau"),
                                        head=True, now=now)
            since[conversation], topic[conversation] = now, "eau"
        elif step == "release" and owner:
            released = sorted(owner)[number % len(owner)]
            await router.release(released, owner.pop(released))
        elif step == "tick":
            now += 100
        for state in await router.operators():
            mine = {c for c, o in owner.items() if o == state.name}
            assert set(state.conversations) == mine
            assert 0 <= state.load <= state.capacity
            for held in mine:
                cost[held] = int(await ctx.redis.hget(router.k.conversation(held), "cost") or 0)
            assert state.load == sum(cost[c] for c in mine)
        assert await router.queue_length() == len(since)
