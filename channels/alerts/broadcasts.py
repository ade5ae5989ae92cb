"""Broadcasts: one validated publication marked `push: true`, sent to every subscriber of its
areas on every alert channel, paced, exactly once, with progress.

Life of a broadcast (its hash under `ChannelKeys.broadcast`):
  preparing  the recipients are copied, in batches, from the areas' subscriber sets into one
             snapshot set per channel (streamed: a national broadcast never blocks Redis);
  sending    one job per channel takes recipients from its snapshot in batches
             (channels/alerts/sending.py), each job a time slice that enqueues the next, so
             the workers serve citizens' replies between slices;
  done / cancelled.
Counters per channel: total, sent, failed (with reasons), unknown (a send interrupted by a
crash, whose outcome the provider cannot tell: never sent again, counted here).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any, cast

import redis.asyncio as aioredis

from channels.alerts.subscriptions import ALERT_CHANNELS
from channels.keys import ChannelKeys
from crisis.areas import DEPARTEMENTS
from crisis.errors import InvalidInput, NotFound
from crisis.types import Publication, utcnow

PREPARING, SENDING, DONE, CANCELLED = "preparing", "sending", "done", "cancelled"
KEEP_S = 30 * 24 * 3600
SNAPSHOT_BATCH = 5000  # per SSCAN: a few ms of Redis each, 200 round trips for 1M


def publication_url(base_url: str, publication: Publication) -> str:
    """The publication's page on the site (static_site/pages.py: French at the root)."""
    prefix = "" if publication.lang == "fr" else f"{publication.lang}/"
    return f"{base_url}/{prefix}publications/{publication.id}/"


def alert_text(publication: Publication, url: str) -> str:
    """The short alert (SMS, Telegram, push body): the essential sentence and the link."""
    sentence = (publication.sms or publication.title).strip()
    return f"{sentence} {url}"


class Broadcasts:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys) -> None:
        self.redis = redis
        self.k = keys

    async def create(self, publication: Publication, base_url: str,
                     channels: tuple[str, ...] = ALERT_CHANNELS) -> tuple[str, bool]:
        """The broadcast of this version of `publication` (state preparing): its id, and
        whether it is new (a redelivered "published" event finds it made already)."""
        broadcast_id = f"b-{publication.id}-v{publication.version}"
        if not await self.redis.hsetnx(self.k.broadcast(broadcast_id), "id", broadcast_id):
            return broadcast_id, False
        url = publication_url(base_url, publication)
        record = {"id": broadcast_id, "publication": publication.id, "title": publication.title,
                  "lang": publication.lang, "areas": ",".join(publication.areas),
                  "text": alert_text(publication, url), "url": url,
                  "full": f"{publication.title}\n\n{publication.body}\n\n{url}",
                  "channels": ",".join(channels), "state": PREPARING,
                  "created_at": utcnow().isoformat()}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.k.broadcast(broadcast_id), mapping=cast(Any, record))
            pipe.expire(self.k.broadcast(broadcast_id), KEEP_S)
            pipe.zadd(self.k.broadcasts, {broadcast_id: time.time()})
            await pipe.execute()
        return broadcast_id, True

    async def get(self, broadcast_id: str) -> dict[str, str]:
        fields = cast(dict[str, str], await self.redis.hgetall(self.k.broadcast(broadcast_id)))
        if not fields:
            raise NotFound(f"no broadcast {broadcast_id!r}")
        return fields

    def areas_of(self, record: Mapping[str, str]) -> tuple[str, ...]:
        """The broadcast's départements; none named means the whole country."""
        return tuple(a for a in record["areas"].split(",") if a) or tuple(DEPARTEMENTS)

    async def snapshot(self, broadcast_id: str) -> dict[str, int]:
        """Copy the recipients into one set per channel, in batches (SSCAN, then SADD):
        a subscriber of two of the areas is one recipient. Returns totals per channel."""
        record = await self.get(broadcast_id)
        totals: dict[str, int] = {}
        for channel in record["channels"].split(","):
            target = self.k.broadcast_to(broadcast_id, channel)
            for area in self.areas_of(record):
                cursor = 0
                while True:
                    cursor, members = await self.redis.sscan(
                        self.k.alert_area(area, channel), cursor, count=SNAPSHOT_BATCH)
                    if members:
                        await self.redis.sadd(target, *members)
                    if cursor == 0:
                        break
            await self.redis.expire(target, KEEP_S)
            totals[channel] = int(await self.redis.scard(target))
        async with self.redis.pipeline(transaction=True) as pipe:
            for channel, total in totals.items():
                pipe.hset(self.k.broadcast(broadcast_id), f"total:{channel}", total)
            pipe.hset(self.k.broadcast(broadcast_id), mapping={
                "state": SENDING, "started_at": utcnow().isoformat()})
            await pipe.execute()
        return totals

    async def cancel(self, broadcast_id: str) -> None:
        """Stop a broadcast: jobs stop at their next batch; what was sent stays sent."""
        record = await self.get(broadcast_id)
        if record["state"] in (DONE, CANCELLED):
            raise InvalidInput(f"the broadcast is already {record['state']}")
        await self.redis.hset(self.k.broadcast(broadcast_id), mapping={
            "state": CANCELLED, "finished_at": utcnow().isoformat()})

    async def preview(self, areas: tuple[str, ...],
                      rates: Mapping[str, float]) -> dict[str, Any]:
        """Before sending: subscribers per channel in `areas` (an upper bound: a citizen in
        two of them counts twice) and how long sending takes at the channels' limits."""
        codes = areas or tuple(DEPARTEMENTS)
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel in ALERT_CHANNELS:
                for area in codes:
                    pipe.scard(self.k.alert_area(area, channel))
            sizes = await pipe.execute()
        per_channel: dict[str, int] = {}
        for index, channel in enumerate(ALERT_CHANNELS):
            per_channel[channel] = sum(int(s) for s in sizes[index * len(codes):
                                                             (index + 1) * len(codes)])
        seconds = max((count / rates[ch] for ch, count in per_channel.items()
                       if count and rates.get(ch)), default=0.0)
        return {"recipients": per_channel, "seconds": round(seconds, 1)}

    async def progress(self, broadcast_id: str, rates: Mapping[str, float]) -> dict[str, Any]:
        """Sent / failed / unknown / remaining per channel, failures by reason, and the ETA
        at the channels' limits (what the cell's page and /api/broadcasts/{id} show)."""
        record = await self.get(broadcast_id)
        channels: dict[str, dict[str, Any]] = {}
        eta = 0.0
        for channel in record["channels"].split(","):
            total = int(record.get(f"total:{channel}", 0))
            done = {o: int(record.get(f"{o}:{channel}", 0)) for o in ("sent", "failed", "unknown")}
            remaining = max(0, total - sum(done.values()))
            reasons = {k.split(":", 2)[2]: int(v) for k, v in record.items()
                       if k.startswith(f"reason:{channel}:")}
            channels[channel] = {"total": total, **done, "remaining": remaining,
                                 "failures": reasons}
            if remaining and rates.get(channel):
                eta = max(eta, remaining / rates[channel])
        running = record["state"] in (PREPARING, SENDING)
        return {"id": broadcast_id, "publication": record["publication"],
                "kind": record.get("kind", "publication"),  # or "pulse": a pulse question
                "title": record["title"], "state": record["state"],
                "areas": list(self.areas_of(record)) if record["areas"] else [],
                "created_at": record["created_at"], "started_at": record.get("started_at"),
                "finished_at": record.get("finished_at"), "channels": channels,
                "eta_seconds": round(eta, 1) if running else 0.0}

    async def situation(self, subscriptions: Any, rates: Mapping[str, float]) -> dict[str, Any]:
        """The alerts' part of /api/situation: subscribers per département and channel, their
        totals per channel, and the broadcasts under way or of the last few."""
        return {"channels": list(ALERT_CHANNELS),  # the order to show them in
                "subscribers": await subscriptions.counts(),
                "subscribers_per_channel": await subscriptions.totals(),
                "broadcasts": [await self.progress(i, rates) for i in await self.recent(5)]}

    async def recent(self, limit: int = 20) -> list[str]:
        return [str(i) for i in await self.redis.zrevrange(self.k.broadcasts, 0, limit - 1)]

    async def running(self) -> list[str]:
        ids = await self.recent(100)
        states = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for broadcast_id in ids:
                pipe.hget(self.k.broadcast(broadcast_id), "state")
            states = await pipe.execute()
        return [i for i, s in zip(ids, states) if s in (PREPARING, SENDING)]


def since(iso: str | None) -> float:
    return 0.0 if not iso else (utcnow() - dt.datetime.fromisoformat(iso)).total_seconds()
