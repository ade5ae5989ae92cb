"""Service levels of the contact centre: Prometheus metrics and shared counters for the cell.

Prometheus gets per-process histograms (summed by /metrics across processes); the situation
view needs totals that survive restarts and cover every process, so the same facts also go
to one Redis hash.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, cast

import redis.asyncio as aioredis
from prometheus_client import Counter, Histogram

from channels.keys import ChannelKeys
from channels.ttl_cache import TtlCache
from crisis.types import ChannelKind, Conversation, OperatorStatus, utcnow

WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
CONTACTS = Counter("crisis_contacts_total", "New conversations, by channel.", ["channel"])
AUTO_ANSWERED = Counter("crisis_contacts_auto_answered_total",
                        "Messages answered by the knowledge base, by channel.", ["channel"])
ABANDONED = Counter("crisis_contacts_abandoned_total",
                    "Conversations closed while still waiting for a person, by channel.",
                    ["channel"])
FIRST_REPLY = Histogram("crisis_contact_first_reply_seconds",
                        "Time from first message to first human answer, by channel.",
                        ["channel"], buckets=WAIT_BUCKETS)
HANDLING = Histogram("crisis_contact_handling_seconds",
                     "Time from first message to closing, by channel.", ["channel"],
                     buckets=WAIT_BUCKETS)
DEFAULT_HANDLING_S = 180.0  # until the first conversations close, assume three minutes
# Contacts over time, for the situation view's chart: new conversations per channel in
# 15-minute slots, the last SLOTS_SHOWN of them (12 hours: a crisis's night, read at a glance).
SLOT_S = 900
SLOTS_SHOWN = 48
SLOT_TTL_S = 2 * 24 * 3600


def _age(conversation: Conversation) -> float:
    return (utcnow() - conversation.created_at).total_seconds()


class Count(NamedTuple):
    """An amount to add to a hash field (HINCRBY for an int, HINCRBYFLOAT for a float), the
    hash then kept `ttl_s` seconds (0: no expiry); `metric`, the Prometheus counter (and its
    channel label) that `ServiceLevels.counted` adds one to once the amount is written."""

    key: str
    field: str
    amount: int | float
    ttl_s: int = 0
    metric: tuple[Counter, str] | None = None


class ServiceLevels:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.key = keys.stats
        self.k = keys

    async def _add(self, **fields: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for name, amount in fields.items():
                pipe.hincrbyfloat(self.key, name, amount)
            await pipe.execute()

    async def contact(self, channel: ChannelKind) -> None:
        await self._add_counts(self.contact_counts(channel))

    def contact_counts(self, channel: ChannelKind) -> list[Count]:
        """What `contact` adds, for a caller that writes it with its own last writes (the
        inbound pipeline: ConversationStore.finish_inbound), then calls `counted`."""
        slot = self.k.contacts_slot(int(time.time() // SLOT_S))
        return [Count(self.key, f"contacts:{channel.value}", 1.0,
                      metric=(CONTACTS, channel.value)),
                Count(slot, channel.value, 1, SLOT_TTL_S)]

    @staticmethod
    def counted(counts: Sequence[Count]) -> None:
        """The process's metrics of `counts`, once they are written: a batch whose write
        failed (Redis away) and is handled again is not counted twice."""
        for count in counts:
            if count.metric is not None:
                metric, channel = count.metric
                metric.labels(channel).inc()

    async def _add_counts(self, counts: list[Count]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for count in counts:
                if isinstance(count.amount, int):
                    pipe.hincrby(count.key, count.field, count.amount)
                else:
                    pipe.hincrbyfloat(count.key, count.field, count.amount)
                if count.ttl_s:
                    pipe.expire(count.key, count.ttl_s)
            await pipe.execute()
        self.counted(counts)

    async def contacts_over_time(self, *, now_s: float | None = None) -> dict[str, Any]:
        """New conversations per channel in each of the last SLOTS_SHOWN slots, oldest first
        (the current, partly elapsed slot last): {"slot_s", "starts": [epoch s], "channels":
        {channel: [counts]}}."""
        current = int((time.time() if now_s is None else now_s) // SLOT_S)
        slots = range(current - SLOTS_SHOWN + 1, current + 1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for slot in slots:
                pipe.hgetall(self.k.contacts_slot(slot))
            raws = cast(list[dict[str, str]], await pipe.execute())
        return {"slot_s": SLOT_S, "starts": [slot * SLOT_S for slot in slots],
                "channels": {c.value: [int(raw.get(c.value, 0)) for raw in raws]
                             for c in ChannelKind}}

    async def auto_answered(self, channel: ChannelKind) -> None:
        await self._add_counts(self.auto_answered_counts(channel))

    def auto_answered_counts(self, channel: ChannelKind) -> list[Count]:
        """What `auto_answered` adds (see contact_counts)."""
        return [Count(self.key, f"auto:{channel.value}", 1.0,
                      metric=(AUTO_ANSWERED, channel.value))]

    async def first_reply(self, conversation: Conversation) -> None:
        seconds = _age(conversation)
        FIRST_REPLY.labels(conversation.channel.value).observe(seconds)
        await self._add(**{f"first_reply_sum:{conversation.channel.value}": seconds,
                           f"first_reply_count:{conversation.channel.value}": 1})

    async def closed(self, conversation: Conversation, *, abandoned: bool) -> None:
        seconds = _age(conversation)
        channel = conversation.channel.value
        HANDLING.labels(channel).observe(seconds)
        fields = {f"handling_sum:{channel}": seconds, f"handling_count:{channel}": 1.0}
        if abandoned:
            ABANDONED.labels(channel).inc()
            fields[f"abandoned:{channel}"] = 1
        await self._add(**fields)

    async def average_handling(self) -> float:
        values = cast(list[str | None], await self.redis.hmget(
            self.key, [f"handling_{p}:{c.value}" for c in ChannelKind for p in ("sum", "count")]))
        numbers = [float(v or 0) for v in values]
        total, count = sum(numbers[0::2]), sum(numbers[1::2])
        return total / count if count else DEFAULT_HANDLING_S

    async def situation(self, available_capacity: int, queue_since: list[float]) -> dict[str, Any]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.key))
        stats = {k: float(v) for k, v in raw.items()}
        per_channel = {}
        for channel in ChannelKind:
            c = channel.value
            replies = stats.get(f"first_reply_count:{c}", 0)
            per_channel[c] = {
                "contacts": int(stats.get(f"contacts:{c}", 0)),
                "auto_answered": int(stats.get(f"auto:{c}", 0)),
                "abandoned": int(stats.get(f"abandoned:{c}", 0)),
                "mean_first_reply_s": round(stats.get(f"first_reply_sum:{c}", 0) / replies, 1)
                if replies else None,
            }
        oldest = round(time.time() - min(queue_since), 1) if queue_since else 0.0
        return {"channels": per_channel, "over_time": await self.contacts_over_time(),
                "queue": {"length": len(queue_since), "oldest_wait_s": oldest},
                "available_capacity": available_capacity,
                "estimated_wait_s": await self.estimated_wait(len(queue_since), available_capacity)}

    async def estimated_wait(self, position: int, capacity: int) -> float:
        """A rough figure citizens can plan with: position x mean handling / operators."""
        return round(position * await self.seconds_per_place(capacity), 0)

    async def seconds_per_place(self, capacity: int) -> float:
        """What one place in the queue adds to the wait, with `capacity` free operator slots."""
        return await self.average_handling() / max(1, capacity)


class WaitEstimates:
    """Seconds of wait per place in the queue (mean handling time over the free operator
    capacity), read again at most every `ttl_s`. In a surge every new contact is told its wait:
    reading every operator's state for each message would cost more than the message, and a
    figure a second old is as good for a citizen planning their next minutes."""

    def __init__(self, levels: ServiceLevels, free_capacity: Callable[[], Awaitable[int]],
                 ttl_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.levels = levels
        self.free_capacity = free_capacity
        self._per_place = TtlCache(self._seconds_per_place, ttl_s, clock)

    async def _seconds_per_place(self) -> float:
        return await self.levels.seconds_per_place(await self.free_capacity())

    async def seconds_for(self, position: int) -> float:
        return round(position * await self._per_place.get(), 0)

    async def minutes_for(self, position: int) -> int:
        """The wait as told to citizens: whole minutes, at least one."""
        return max(1, round(await self.seconds_for(position) / 60))


def capacity_of(states: list[Any]) -> int:
    return sum(max(0, s.capacity - s.load) for s in states if s.status is OperatorStatus.AVAILABLE)
