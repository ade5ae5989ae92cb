"""The process model of `crisis up`: web processes only acknowledge, `crisis worker --events`
runs the pipeline behind them."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from redis.exceptions import ResponseError

from channels.keys import ChannelKeys
from channels.messages import say
from crisis.context import Context
from testbed.ports import free_port
from tests.channels.conftest import signed, sms_form, until


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crisis", *args, env={**env, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        await _stop(process)


async def _groups(ctx: Context) -> set[str]:
    try:
        return {str(g["name"]) for g in await ctx.redis.xinfo_groups(ctx.keys.events)}
    except ResponseError:  # no stream yet
        return set()


async def test_the_web_acknowledges_and_the_events_process_answers(
        env: dict[str, str], ctx: Context, processes: list[Any]) -> None:
    port = free_port()
    env = {**env, "CRISIS_PORT": str(port)}
    processes.append(await _start(env, "web", "--no-events"))
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async def listening() -> bool:
            try:
                async with http.get(f"{base}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False
        await until(listening, 30)
        headers, form = signed("/hooks/twilio/sms", sms_form("je veux un humain", "SMpm1"))
        async with http.post(f"{base}/hooks/twilio/sms", data=form, headers=headers) as response:
            assert response.status == 200
        # Nobody answers citizens yet: readiness says so, and what to start.
        async with http.get(f"{base}/readyz") as response:
            ready = await response.json()
        assert response.status == 503 and ready["event_consumers"] == 0
        assert any("--events" in problem for problem in ready["problems"])
    # Stored and announced, and nobody consumed it: the web process only acknowledged.
    assert await ctx.redis.xlen(ctx.keys.conversation_events) >= 1
    assert "channels-inbound" not in await _groups(ctx)

    processes.append(await _start(env, "worker", "--events"))
    conversations = ctx.keys.scoped("ch", "status", "queued")

    async def queued() -> int:
        return int(await ctx.redis.zcard(conversations))
    assert await until(queued, 30) == 1
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as response:
            assert (await response.json())["event_consumers"] == 1
    events = processes[-1]
    # The pipeline's thread gives way to the webhooks (crisis/idle_class.py): the idle class,
    # at nice 5 (in the normal class for a few seconds when starved below its floor).
    assert os.getpriority(os.PRIO_PROCESS, events.pid) == 5

    async def idle_class() -> bool:
        return os.sched_getscheduler(events.pid) == os.SCHED_IDLE
    assert await until(idle_class, 15)
    events = processes.pop()
    await _stop(events)
    assert events.returncode == 0  # SIGTERM: a clean stop
    assert processes[0].returncode is None  # the web process is still serving


async def test_two_events_processes_answer_each_conversation_in_the_order_it_wrote(
        env: dict[str, str], ctx: Context, processes: list[Any]) -> None:
    """Three quick messages per citizen, read by two events processes sharing the groups: each
    message is answered once, and the answers come in the citizen's order."""
    port = free_port()
    env = {**env, "CRISIS_PORT": str(port)}
    processes.append(await _start(env, "web", "--no-events"))
    processes.append(await _start(env, "worker", "--events"))
    processes.append(await _start(env, "worker", "--events"))
    base = f"http://127.0.0.1:{port}"
    citizens = [f"+3361{n:07d}" for n in range(40)]
    wording = ["bonjour", "merci", "au revoir"]
    async with aiohttp.ClientSession() as http:
        async def ready() -> bool:
            try:
                async with http.get(f"{base}/readyz") as response:
                    return (await response.json()).get("event_consumers") == 2
            except aiohttp.ClientError:
                return False
        await until(ready, 30)

        async def write(number: int, citizen: str) -> None:
            for step, text in enumerate(wording):  # each acknowledged before the next is sent
                headers, form = signed("/hooks/twilio/sms", sms_form(text, f"SMord{number}x{step}", citizen))
                async with http.post(f"{base}/hooks/twilio/sms", data=form, headers=headers) as response:
                    assert response.status == 200
        await asyncio.gather(*(write(n, c) for n, c in enumerate(citizens)))

    expected = [say(f"intent_{kind}", "fr") for kind in ("greeting", "thanks", "goodbye")]
    keys = ChannelKeys(ctx.keys)

    async def replies() -> list[list[str]] | None:
        ids = [str(i) for i in await ctx.redis.zrange(keys.conversations, 0, -1)]
        found = []
        for conversation_id in ids:
            raws = await ctx.redis.lrange(keys.messages(conversation_id), 0, -1)
            found.append([m["text"] for m in map(json.loads, raws) if m["author"] != "citizen"])
        done = len(ids) == len(citizens) and all(len(r) >= len(wording) for r in found)
        return found if done else None

    answered = await until(replies, 60)
    assert all(r == expected for r in answered), [r for r in answered if r != expected][:3]
