"""The router under concurrency: never two operators for one conversation, never over capacity."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import uuid
from collections import Counter

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from channels.keys import ChannelKeys
from channels.router import Router, skill_of
from crisis.context import Context
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


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["enqueue", "available", "pause", "assign",
                                                 "release"]), st.integers(0, 5)),
                      min_size=1, max_size=40))
async def test_any_sequence_keeps_capacity_and_uniqueness(ctx: Context, steps: list[tuple[str, int]]
                                                          ) -> None:
    # A fresh key space per example: hypothesis replays examples while shrinking.
    router = Router(ctx.redis, ChannelKeys(Keys(f"{ctx.keys.prefix}h{uuid.uuid4().hex[:8]}:")))
    owner: dict[str, str] = {}
    for step, number in steps:
        if step == "enqueue":
            await router.enqueue(f"c{number}", skill_of("fr", ChannelKind.SMS))
        elif step in ("available", "pause"):
            status = OperatorStatus.AVAILABLE if step == "available" else OperatorStatus.PAUSE
            await router.set_operator(f"o{number % 3}", status, capacity=2)
        elif step == "assign":
            for conversation, operator in await router.assign():
                assert conversation not in owner
                owner[conversation] = operator
        elif owner:
            conversation = sorted(owner)[number % len(owner)]
            await router.release(conversation, owner.pop(conversation))
        for state in await router.operators():
            assert 0 <= state.load <= state.capacity
            assert set(state.conversations) == {c for c, o in owner.items() if o == state.name}
