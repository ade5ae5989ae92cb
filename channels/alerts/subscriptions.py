"""Alert subscriptions: who wants to hear about which départements, on which channel.

One hash per subscription (channel, citizen id) with the raw address (needed to send), the
areas, the language, the time and source of consent; one set per (département, channel) of
citizen ids, which a broadcast walks. A subscription replaces the areas it had: "ALERTE 75 92"
means 75 and 92 from now on. Unsubscribing deletes the record and its memberships at once
(it is final for that channel: a later ALERTE is a new consent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import cast

import msgspec
import redis.asyncio as aioredis

from channels.addresses import citizen_id
from channels.keys import ChannelKeys
from crisis.areas import DEPARTEMENTS, parse_areas
from crisis.errors import InvalidInput
from crisis.transactions import watched_update
from crisis.types import ChannelKind, utcnow

# The channels a citizen can subscribe on: the conversation channels that can write first,
# and the browser's Web Push (no conversation: alerts only). The phone is for asking.
PUSH = "push"
ALERT_CHANNELS: tuple[str, ...] = (ChannelKind.SMS.value, ChannelKind.TELEGRAM.value,
                                   ChannelKind.EMAIL.value, PUSH)
MAX_ADDRESS = 4096  # a Web Push subscription (endpoint and keys) is the longest address


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    channel: str  # one of ALERT_CHANNELS
    address: str
    areas: tuple[str, ...]
    lang: str = "fr"
    consent_at: dt.datetime
    source: str  # what the citizen did: "sms ALERTE", "telegram /alerte", "site form"...


def area_codes(text: str) -> tuple[str, ...]:
    """Départements from what a citizen typed ("75 92", "2a,971"); InvalidInput naming the
    unknown codes and how to write one. At least one: a subscription is to somewhere."""
    areas = parse_areas(text)
    if not areas:
        raise InvalidInput("name at least one département, e.g. 75, 2A or 971")
    return areas


class Subscriptions:
    def __init__(self, redis: aioredis.Redis, keys: ChannelKeys, secret: bytes) -> None:
        self.redis = redis
        self.k = keys
        self.secret = secret

    def _citizen(self, address: str) -> str:
        return citizen_id(self.secret, address)

    async def subscribe(self, channel: str, address: str, areas: Iterable[str], *,
                        lang: str = "fr", source: str) -> Subscription:
        """Subscribe `address` on `channel` to exactly `areas` (replacing earlier ones)."""
        if channel not in ALERT_CHANNELS:
            raise InvalidInput(f"alerts are sent by {', '.join(ALERT_CHANNELS)}, not {channel[:20]}")
        if len(address) > MAX_ADDRESS or not address:
            raise InvalidInput("the address is empty or too long")
        codes = tuple(dict.fromkeys(areas))
        unknown = [c for c in codes if c not in DEPARTEMENTS]
        if unknown or not codes:
            raise InvalidInput(f"unknown département(s): {', '.join(unknown) or 'none given'}")
        citizen = self._citizen(address)
        record_key = self.k.alert_subscriber(channel, citizen)
        subscription = Subscription(channel=channel, address=address, areas=codes,
                                    lang="en" if lang == "en" else "fr", consent_at=utcnow(),
                                    source=source[:100])

        async def step(pipe: aioredis.client.Pipeline) -> None:
            old = await pipe.hget(record_key, "areas")
            pipe.multi()  # type: ignore[no-untyped-call]
            for area in str(old or "").split(","):
                if area and area not in codes:
                    pipe.srem(self.k.alert_area(area, channel), citizen)
            for area in codes:
                pipe.sadd(self.k.alert_area(area, channel), citizen)
            pipe.sadd(self.k.alert_channel(channel), citizen)
            pipe.hset(record_key, mapping={
                "address": address, "areas": ",".join(codes), "lang": subscription.lang,
                "consent_at": subscription.consent_at.isoformat(), "source": subscription.source})

        await watched_update(self.redis, record_key, step)
        return subscription

    async def unsubscribe(self, channel: str, address: str) -> bool:
        """Stop every alert to `address` on `channel`; False when it had none."""
        return await self.unsubscribe_citizen(channel, self._citizen(address))

    async def unsubscribe_citizen(self, channel: str, citizen: str) -> bool:
        record_key = self.k.alert_subscriber(channel, citizen)

        async def step(pipe: aioredis.client.Pipeline) -> bool:
            old = await pipe.hget(record_key, "areas")
            pipe.multi()  # type: ignore[no-untyped-call]
            for area in str(old or "").split(","):
                if area:
                    pipe.srem(self.k.alert_area(area, channel), citizen)
            pipe.delete(record_key)
            pipe.srem(self.k.alert_channel(channel), citizen)
            return old is not None

        return await watched_update(self.redis, record_key, step)

    async def get(self, channel: str, address: str) -> Subscription | None:
        return await self.of_citizen(channel, self._citizen(address))

    async def of_citizen(self, channel: str, citizen: str) -> Subscription | None:
        fields = cast(dict[str, str],
                      await self.redis.hgetall(self.k.alert_subscriber(channel, citizen)))
        if not fields:
            return None
        return Subscription(channel=channel, address=fields["address"],
                            areas=tuple(a for a in fields["areas"].split(",") if a),
                            lang=fields.get("lang", "fr"),
                            consent_at=dt.datetime.fromisoformat(fields["consent_at"]),
                            source=fields.get("source", ""))

    async def totals(self) -> dict[str, int]:
        """Subscribers per channel, each counted once whatever their areas."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel in ALERT_CHANNELS:
                pipe.scard(self.k.alert_channel(channel))
            sizes = await pipe.execute()
        return {channel: int(size) for channel, size in zip(ALERT_CHANNELS, sizes) if size}

    async def counts(self) -> Mapping[str, Mapping[str, int]]:
        """Subscribers per département and channel (départements with none left out), in
        one pipelined round trip: what the situation view shows."""
        pairs = [(area, channel) for area in DEPARTEMENTS for channel in ALERT_CHANNELS]
        async with self.redis.pipeline(transaction=False) as pipe:
            for area, channel in pairs:
                pipe.scard(self.k.alert_area(area, channel))
            sizes = await pipe.execute()
        result: dict[str, dict[str, int]] = {}
        for (area, channel), size in zip(pairs, sizes):
            if size:
                result.setdefault(area, {})[channel] = int(size)
        return result
