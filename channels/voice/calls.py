"""Calls in progress in Redis: where each call is in the IVR, what to say at its next turn,
who waits in which Twilio queue, and the telephone's totals for the situation view.

Twilio names a call only by its CallSid, and every webhook of a call may reach another web
process: the state lives in Redis (`ch:voice:call:{sid}`, a day). A call's conversation exists
from its first recorded words (a question, a request for a person); its lasting facts (wait,
talk time, outcome) go to the conversation's own `ch:{c:ID}:voice`, purged with it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, cast

import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from channels.pipelined_script import PipelinedScript
from crisis.lua_scripts import lua_source
from crisis.metrics import CALL_ABANDONED_WAIT, CALLS, CALLS_ABANDONED

CALL_TTL_S = 24 * 3600
LIVE_TTL_S = 4 * 3600  # longer than any call: Twilio ends calls after 4 hours
MAX_SAY = 20  # messages kept for a call's next turn (an operator typing a lot)


class CallStage:
    IVR = "ivr"
    QUEUED = "queued"
    BRIDGING = "bridging"
    BRIDGED = "bridged"
    ENDED = "ended"


@dataclasses.dataclass(frozen=True)
class WaitRound:
    """What one round of the wait URL read (and took) from a call's state."""

    number: int  # 1 for the first round
    position: int | None  # 1-based in the router's queue; None when not queued there
    said: list[dict[str, Any]]  # messages to speak now, removed from the call's list


class Calls:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys
        # Every call of a surge runs both on its first turn and at each wait round: one
        # round trip each, on a pipelined connection (channels/pipelined_script.py).
        self._start = PipelinedScript(redis, lua_source("channels.voice", "calls_start.lua"))
        self._wait_round = PipelinedScript(
            redis, lua_source("channels.voice", "calls_wait_round.lua"))

    async def start(self, sid: str, *, caller: str, citizen: str, lang: str,
                    direction: str = "inbound", conversation: str = "") -> bool:
        """Record a new call (False when Twilio asked again for the same call)."""
        started = await self._start(
            [self.k.voice_call(sid), self.k.voice_live(citizen), self.k.voice_stats],
            [str(time.time()), sid, caller, citizen, lang, CallStage.IVR, direction,
             conversation, CALL_TTL_S, LIVE_TTL_S, f"calls:{direction}"])
        if not int(started):
            return False
        CALLS.labels(direction).inc()
        return True

    async def wait_round(self, sid: str, queue_sid: str = "") -> WaitRound:
        """A round of the wait URL: counted, Twilio's QueueSid kept, the messages waiting to
        be spoken taken (each is spoken once), and the caller's conversation's place in the
        router's queue, all in one round trip (calls_wait_round.lua)."""
        reply = await self._wait_round(
            [self.k.voice_call(sid), self.k.voice_say(sid), self.k.queue], [queue_sid])
        rank = int(reply[1])
        return WaitRound(number=int(reply[0]), position=None if rank < 0 else rank + 1,
                         said=[json.loads(raw) for raw in reply[2:]])

    async def get(self, sid: str) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(self.k.voice_call(sid)))

    async def update(self, sid: str, **fields: str | float | int) -> None:
        await self.redis.hset(self.k.voice_call(sid), mapping=fields)  # type: ignore[arg-type]

    async def live_call(self, citizen: str) -> str | None:
        """The citizen's call in progress, if any."""
        sid = await self.redis.get(self.k.voice_live(citizen))
        return None if sid is None else str(sid)

    async def say_later(self, sid: str, entry: dict[str, Any]) -> None:
        """Keep a message for the call's next TwiML turn (at most MAX_SAY, the latest)."""
        key = self.k.voice_say(sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(entry))
            pipe.ltrim(key, -MAX_SAY, -1)
            pipe.expire(key, CALL_TTL_S)
            await pipe.execute()

    async def take_said(self, sid: str) -> list[dict[str, Any]]:
        """The messages waiting to be spoken, removed (each is spoken once)."""
        key = self.k.voice_say(sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            raws, _ = await pipe.execute()
        return [json.loads(raw) for raw in raws]

    async def join_queue(self, sid: str, name: str) -> int:
        """The caller enters Twilio queue `name`; returns the queue's size with them."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.k.voice_queue(name), sid)
            pipe.scard(self.k.voice_queue(name))
            pipe.hset(self.k.voice_call(sid), mapping={
                "stage": CallStage.QUEUED, "queue": name, "queued_at": str(time.time())})
            _, size, _ = await pipe.execute()
        return int(size)

    async def queue_size(self, name: str) -> int:
        return int(await self.redis.scard(self.k.voice_queue(name)))

    async def leave_queue(self, sid: str, name: str) -> bool:
        return bool(await self.redis.srem(self.k.voice_queue(name), sid))

    async def end(self, sid: str, citizen: str) -> None:
        """The call is over: no more turns; the citizen has no call in progress."""
        await self.update(sid, stage=CallStage.ENDED, ended=str(time.time()))
        if citizen and await self.redis.get(self.k.voice_live(citizen)) == sid:
            await self.redis.delete(self.k.voice_live(citizen))

    async def record_facts(self, conversation_id: str, **facts: str | float | int) -> None:
        """Lasting facts of a voice conversation's call (kept until the retention purge)."""
        if conversation_id:
            await self.redis.hset(self.k.voice_facts(conversation_id),
                                  mapping=facts)  # type: ignore[arg-type]

    async def facts(self, conversation_id: str) -> dict[str, str]:
        return cast(dict[str, str], await self.redis.hgetall(self.k.voice_facts(conversation_id)))

    async def count(self, **amounts: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for name, amount in amounts.items():
                pipe.hincrbyfloat(self.k.voice_stats, name, amount)
            await pipe.execute()

    async def abandoned(self, wait_s: float) -> None:
        CALLS_ABANDONED.inc()
        CALL_ABANDONED_WAIT.observe(wait_s)
        await self.count(abandoned=1, abandoned_wait_sum=wait_s)

    async def situation(self) -> dict[str, Any]:
        """The telephone's figures for the cell's situation view."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.k.voice_stats))
        stats = {k: float(v) for k, v in raw.items()}
        abandoned = stats.get("abandoned", 0)
        bridged = stats.get("bridged", 0)
        return {
            "calls": int(stats.get("calls:inbound", 0)),
            "callbacks_requested": int(stats.get("callbacks_requested", 0)),
            "callbacks_placed": int(stats.get("callbacks_placed", 0)),
            "abandoned": int(abandoned),
            "mean_abandoned_wait_s": round(stats.get("abandoned_wait_sum", 0) / abandoned, 1)
            if abandoned else None,
            "bridged": int(bridged),
            "mean_wait_s": round(stats.get("wait_sum", 0) / bridged, 1) if bridged else None,
            "mean_talk_s": round(stats.get("talk_sum", 0) / stats["talked"], 1)
            if stats.get("talked") else None,
        }
