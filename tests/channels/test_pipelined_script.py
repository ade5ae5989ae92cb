"""The receive script's dedicated connection: replies to the right caller, survives a flush
and a dropped connection."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from channels.pipelined_script import PipelinedScript
from crisis.context import Context

ECHO = "redis.call('SET', KEYS[1], ARGV[1]); return {ARGV[1], tonumber(ARGV[2]) + 1}"


async def test_concurrent_calls_each_get_their_own_reply(ctx: Context, prefix: str) -> None:
    script = PipelinedScript(ctx.redis, ECHO)
    replies = await asyncio.gather(*(script([f"{prefix}echo:{n}"], [f"v{n}", n])
                                     for n in range(500)))
    assert replies == [[f"v{n}", n + 1] for n in range(500)]
    assert await ctx.redis.get(f"{prefix}echo:499") == "v499"


async def test_a_flushed_script_cache_is_reloaded(ctx: Context, prefix: str) -> None:
    script = PipelinedScript(ctx.redis, ECHO)
    await ctx.redis.script_flush()
    assert await script([f"{prefix}echo"], ["a", 1]) == ["a", 2]
    assert await script([f"{prefix}echo"], ["b", 2]) == ["b", 3]


async def test_a_burst_after_a_flush_loads_the_script_once(ctx: Context, prefix: str) -> None:
    """Hundreds of calls in flight when Redis lost its scripts (a restart under load, the
    first batch of a process) get NOSCRIPT together: the script is loaded once for all of
    them and each call is answered, one at a time and in a batch (`many`)."""
    script = PipelinedScript(ctx.redis, ECHO)
    loads: list[str] = []
    load = ctx.redis.script_load

    async def counted(source: str) -> str:
        loads.append(source)
        return await load(source)

    ctx.redis.script_load = counted  # type: ignore[method-assign]
    try:
        await ctx.redis.script_flush()
        replies = await asyncio.gather(*(script([f"{prefix}echo:{n}"], [f"v{n}", n])
                                         for n in range(300)))
        assert replies == [[f"v{n}", n + 1] for n in range(300)]
        await ctx.redis.script_flush()
        many = await script.many([([f"{prefix}echo:{n}"], [f"w{n}", n]) for n in range(300)])
        assert many == [[f"w{n}", n + 1] for n in range(300)]
    finally:
        del ctx.redis.script_load
    assert loads == [ECHO, ECHO]  # once per flush


async def test_an_error_reply_fails_one_call_only(ctx: Context, prefix: str) -> None:
    script = PipelinedScript(ctx.redis, ECHO)
    good, bad = await asyncio.gather(script([f"{prefix}e"], ["a", 1]),
                                     script([f"{prefix}e"], ["a", "not a number"]),
                                     return_exceptions=True)
    assert good == ["a", 2] and isinstance(bad, ResponseError)
    assert await script([f"{prefix}e"], ["c", 3]) == ["c", 4]


async def test_a_lost_connection_fails_the_calls_then_recovers(
        ctx: Context, prefix: str) -> None:
    script = PipelinedScript(ctx.redis, "return redis.call('INCR', KEYS[1])")
    assert await script([f"{prefix}n"], []) == 1
    assert script._line is not None
    connection = script._line.connection
    await connection.send_command("CLIENT", "ID")
    client_id = await connection.read_response()
    await ctx.redis.client_kill_filter(_id=client_id)
    with pytest.raises(RedisConnectionError):
        for _ in range(3):  # the kill is noticed at the latest on the next read
            await script([f"{prefix}n"], [])
    assert await script([f"{prefix}n"], []) >= 2


async def test_every_kind_of_argument_reaches_the_script_as_written(ctx: Context,
                                                                     prefix: str) -> None:
    """Strings (accents too), bytes, integers and floats are packed as Redis reads them: a
    float as Python writes it (a time stamp keeps its digits), 1 and 1.0 apart."""
    script = PipelinedScript(ctx.redis, "return {KEYS[1], ARGV[1], ARGV[2], ARGV[3]}")
    calls = [([f"{prefix}k{n % 5}"], [f"vé{n % 4}", 1 if n % 2 else 1.0, 1764738000.123456 + n])
             for n in range(40)]
    replies = await asyncio.gather(*(script(keys, args) for keys, args in calls))
    assert replies == [[keys[0], args[0], str(args[1]), str(args[2])] for keys, args in calls]
    raw = PipelinedScript(ctx.redis, "return {string.len(ARGV[1]), ARGV[2], ARGV[3]}")
    assert await raw([f"{prefix}b"], [b"\x00\xffraw", "", 0]) == [5, "", "0"]


async def test_a_line_still_without_the_script_goes_through_the_pool(ctx: Context,
                                                                     prefix: str) -> None:
    """After a failover the pipelined line may be on another server than the one the pool
    loaded the script into: calls still answered (the slow way), not failed with NOSCRIPT.
    Here the first load is lost, as if it had gone to the other server."""
    script = PipelinedScript(ctx.redis, ECHO)
    load = ctx.redis.script_load
    lost: list[str] = []

    async def first_lost(source: str) -> str:
        if not lost:
            lost.append(source)
            return hashlib.sha1(source.encode()).hexdigest()
        return await load(source)

    ctx.redis.script_load = first_lost  # type: ignore[method-assign]
    try:
        await ctx.redis.script_flush()
        assert await script([f"{prefix}echo"], ["a", 1]) == ["a", 2]
        await ctx.redis.script_flush()
        lost.clear()
        many = await script.many([([f"{prefix}echo:{n}"], [f"w{n}", n]) for n in range(20)])
        assert many == [[f"w{n}", n + 1] for n in range(20)]
    finally:
        del ctx.redis.script_load
