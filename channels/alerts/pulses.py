"""Pulse questions: a one-question poll of a random sample of alert subscribers, sent through
the broadcast machinery, its numbered answers counted live with their 95 % margin of error.

Creating one draws the sample (channels/alerts/sampling.py), keeps it per channel (whose
replies count), and makes a broadcast of it already in the "sending" state (the snapshot is
the sample), so the alerts' jobs send it paced and leased, and /cell/broadcasts shows its
progress. The desk asks `open_for` whether a citizen's "1" or "2." answers an open pulse
(channels/inbound.py decides); `record_answer` counts it, the citizen's last answer winning
(a citizen who mistyped can correct it; one answer per citizen either way). A pulse closes
when the cell closes it (which also stops its sending) or at its end time.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Final, cast

import redis.asyncio as aioredis

from channels.alerts.broadcasts import KEEP_S, SENDING, Broadcasts
from channels.alerts.pulse_drafts import MAX_OPTIONS, PulseDraft, pulse_text
from channels.alerts.sampling import SampleDraw, draw_sample
from channels.keys import ChannelKeys
from crisis.errors import InvalidInput, NotFound
from crisis.lua_scripts import register_lua
from crisis.survey_margin import margin_of_error
from crisis.types import utcnow

MAX_OPEN: Final = 5  # open pulses at once: the desk checks a reply against each of them
OPEN, CLOSED = "open", "closed"


def new_pulse_id(now_s: float) -> str:
    """Sortable by creation (milliseconds in hex), unique by its random tail."""
    return f"p{int(now_s * 1000):011x}{secrets.token_hex(2)}"


class Pulses:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys
        self.broadcasts = Broadcasts(redis, keys)
        self._answer = register_lua(redis, "channels.alerts", "pulse_answer.lua")

    async def create(self, draft: PulseDraft, *, author: str, base_url: str,
                     seed: str | None = None) -> tuple[str, SampleDraw]:
        """Draw the sample, keep it, and make the broadcast that sends the question (its
        jobs are the caller's to enqueue: `broadcast_of`). InvalidInput when nobody is
        subscribed in the scope or MAX_OPEN pulses are open already."""
        now = time.time()
        await self.redis.zremrangebyscore(self.k.pulses_open, "-inf", now)
        if await self.redis.zcard(self.k.pulses_open) >= MAX_OPEN:
            raise InvalidInput(f"{MAX_OPEN} pulse questions are open already: close one first")
        draw = await draw_sample(self.redis, self.k, draft.channels, draft.areas,
                                 draft.sample_size, seed or secrets.token_hex(8))
        if not draw.population:
            raise InvalidInput("nobody is subscribed there on these channels")
        pulse_id = new_pulse_id(now)
        ends = now + draft.minutes * 60
        record = {"id": pulse_id, "question": draft.question, "question_en": draft.question_en,
                  "options": json.dumps(draft.options), "options_en": json.dumps(draft.options_en),
                  "options_n": len(draft.options), "channels": ",".join(draw.chosen),
                  "areas": ",".join(draft.areas), "asked": draft.sample_size,
                  "drawn": draw.drawn, "population": draw.population, "seed": draw.seed,
                  "created_at": utcnow().isoformat(), "ends_at": ends, "author": author[:60],
                  "broadcast": f"b-{pulse_id}"}
        async with self.redis.pipeline(transaction=True) as pipe:
            for channel, members in draw.chosen.items():
                pipe.sadd(self.k.pulse_sample(pulse_id, channel), *members)
                pipe.sadd(self.k.broadcast_to(f"b-{pulse_id}", channel), *members)
                pipe.expire(self.k.pulse_sample(pulse_id, channel), KEEP_S)
                pipe.expire(self.k.broadcast_to(f"b-{pulse_id}", channel), KEEP_S)
            pipe.hset(self.k.pulse(pulse_id), mapping=cast(Any, record))
            pipe.expire(self.k.pulse(pulse_id), KEEP_S)
            pipe.hset(self.k.broadcast(f"b-{pulse_id}"),
                      mapping=cast(Any, self._broadcast_record(pulse_id, draft, draw, base_url)))
            pipe.expire(self.k.broadcast(f"b-{pulse_id}"), KEEP_S)
            pipe.zadd(self.k.broadcasts, {f"b-{pulse_id}": now})
            pipe.zadd(self.k.pulses, {pulse_id: now})
            pipe.zadd(self.k.pulses_open, {pulse_id: ends})
            await pipe.execute()
        return pulse_id, draw

    def _broadcast_record(self, pulse_id: str, draft: PulseDraft, draw: SampleDraw,
                          base_url: str) -> dict[str, str | int]:
        """A broadcast whose snapshot is the sample; its texts per channel and language
        are sent as they are (channels/alerts/sending.py)."""
        now = utcnow().isoformat()
        record: dict[str, str | int] = {
            "id": f"b-{pulse_id}", "publication": pulse_id, "kind": "pulse",
            "title": draft.question, "lang": "fr", "areas": ",".join(draft.areas),
            "text": pulse_text(draft, draft.channels[0], "fr"), "url": base_url + "/",
            "full": draft.question, "channels": ",".join(draw.chosen), "state": SENDING,
            "created_at": now, "started_at": now}
        for channel, members in draw.chosen.items():
            record[f"total:{channel}"] = len(members)
            for lang in ("fr", "en"):
                record[f"text:{channel}:{lang}"] = pulse_text(draft, channel, lang)
        return record

    async def get(self, pulse_id: str) -> dict[str, str]:
        fields = cast(dict[str, str], await self.redis.hgetall(self.k.pulse(pulse_id[:40])))
        if not fields:
            raise NotFound(f"no pulse question {pulse_id[:40]!r}")
        return fields

    async def recent(self, limit: int = 20) -> list[str]:
        return [str(i) for i in await self.redis.zrevrange(self.k.pulses, 0, limit - 1)]

    async def close(self, pulse_id: str) -> None:
        """Stop counting answers (and stop sending the question if it still goes out)."""
        record = await self.get(pulse_id)
        if state_of(record) == CLOSED:
            raise InvalidInput("the pulse question is closed already")
        await self.redis.hset(self.k.pulse(pulse_id), "closed_at", utcnow().isoformat())
        await self.redis.zrem(self.k.pulses_open, pulse_id)
        if (await self.broadcasts.get(record["broadcast"]))["state"] == SENDING:
            await self.broadcasts.cancel(record["broadcast"])

    async def open_for(self, channel: str, citizen: str) -> tuple[str, int]:
        """The newest open pulse that drew this citizen on this channel and its number of
        options, or ("", 0)."""
        open_ids = sorted(str(i) for i in await self.redis.zrangebyscore(
            self.k.pulses_open, time.time(), "+inf", start=0, num=MAX_OPEN * 2))
        if not open_ids:
            return "", 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for pulse_id in open_ids:
                pipe.sismember(self.k.pulse_sample(pulse_id, channel), citizen)
                pipe.hget(self.k.pulse(pulse_id), "options_n")
            found = await pipe.execute()
        for index in reversed(range(len(open_ids))):
            if found[2 * index] and found[2 * index + 1]:
                return open_ids[index], min(int(found[2 * index + 1]), MAX_OPTIONS)
        return "", 0

    async def record_answer(self, pulse_id: str, channel: str, citizen: str,
                            option: int) -> int:
        """Count a citizen's answer: 1 first, 2 changed (the last wins), 0 the same again."""
        return int(await self._answer(
            keys=[self.k.pulse_answers(pulse_id), self.k.pulse_counts(pulse_id)],
            args=[f"{channel}:{citizen}", str(option), KEEP_S]))

    async def results(self, pulse_id: str) -> dict[str, Any]:
        """The pulse with its live results: per option the answers, their share and its
        95 % margin (finite population: the subscribers in scope), the response rate
        (answers / messages the providers accepted) and the sending's progress."""
        record = await self.get(pulse_id)
        counts = cast(dict[str, str], await self.redis.hgetall(self.k.pulse_counts(pulse_id)))
        broadcast = await self.broadcasts.get(record["broadcast"])
        options = json.loads(record["options"])
        answers = [max(0, int(counts.get(str(n), 0))) for n in range(1, len(options) + 1)]
        total = sum(answers)
        population = int(record["population"])
        channels = [c for c in record["channels"].split(",") if c]
        sent = sum(int(broadcast.get(f"sent:{c}", 0)) for c in channels)
        drawn = sum(int(broadcast.get(f"total:{c}", 0)) for c in channels)
        rows = []
        for number, (option, count) in enumerate(zip(options, answers), start=1):
            share = count / total if total else 0.0
            rows.append({"number": number, "option": option, "answers": count,
                         "share": round(share, 4),
                         "margin": round(margin_of_error(share, total, population), 4)
                         if total else None})
        return {"id": pulse_id, "question": record["question"],
                "question_en": record.get("question_en", ""), "options": rows,
                "channels": channels, "areas": [a for a in record["areas"].split(",") if a],
                "asked": int(record["asked"]), "drawn": int(record["drawn"]),
                "population": population, "seed": record["seed"], "answers": total,
                "sent": sent, "sending": broadcast["state"] == SENDING,
                "to_send": drawn, "broadcast": record["broadcast"],
                "response_rate": round(total / sent, 4) if sent else None,
                "state": state_of(record), "created_at": record["created_at"],
                "ends_at": float(record["ends_at"]), "closed_at": record.get("closed_at"),
                "author": record.get("author", "")}

    async def situation(self, limit: int = 3) -> dict[str, Any]:
        """The pulses' part of /api/situation: the latest few with their results."""
        return {"pulses": [await self.results(i) for i in await self.recent(limit)]}


def state_of(record: dict[str, str]) -> str:
    """Closed by the cell, or at its end time."""
    if record.get("closed_at") or float(record["ends_at"]) <= time.time():
        return CLOSED
    return OPEN
