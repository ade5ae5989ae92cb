"""Contacts over time for the situation view: each new conversation counted in its channel's
15-minute slot, the last 12 hours read oldest first, the current slot last; slots expire."""

from __future__ import annotations

import time
from unittest import mock

from channels.keys import ChannelKeys
from channels.service_levels import SLOT_S, SLOT_TTL_S, SLOTS_SHOWN, ServiceLevels
from crisis.context import Context
from crisis.types import ChannelKind


async def test_contacts_land_in_their_slot_and_the_last_twelve_hours_are_read_in_order(
        ctx: Context) -> None:
    keys = ChannelKeys(ctx.keys)
    levels = ServiceLevels(ctx.redis, keys)
    now = (time.time() // SLOT_S) * SLOT_S + 10
    with mock.patch("channels.service_levels.time.time", return_value=now - 2 * SLOT_S):
        await levels.contact(ChannelKind.SMS)
    with mock.patch("channels.service_levels.time.time", return_value=now):
        for channel in (ChannelKind.SMS, ChannelKind.SMS, ChannelKind.CHAT):
            await levels.contact(channel)
    with mock.patch("channels.service_levels.time.time", return_value=now - SLOTS_SHOWN * SLOT_S):
        await levels.contact(ChannelKind.VOICE)  # twelve hours and more ago: not shown
    figures = await levels.contacts_over_time(now_s=now)
    assert figures["slot_s"] == SLOT_S and len(figures["starts"]) == SLOTS_SHOWN
    assert figures["starts"][-1] == int(now // SLOT_S) * SLOT_S
    assert figures["channels"]["sms"][-1] == 2 and figures["channels"]["sms"][-3] == 1
    assert figures["channels"]["chat"][-1] == 1
    assert sum(figures["channels"]["voice"]) == 0
    assert sum(figures["channels"]["sms"]) == 3
    ttl = await ctx.redis.ttl(keys.contacts_slot(int(now // SLOT_S)))
    assert 0 < ttl <= SLOT_TTL_S
    totals = await levels.situation(0, [])
    assert totals["channels"]["sms"]["contacts"] == 3  # the totals since the start, as before
    assert len(totals["over_time"]["channels"]["sms"]) == SLOTS_SHOWN
