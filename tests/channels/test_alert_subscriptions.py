"""Alert subscriptions on a real Redis: replace, list, count, unsubscribe, refuse bad codes."""

from __future__ import annotations

import pytest

from channels.alerts.subscriptions import Subscriptions, area_codes
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.errors import InvalidInput


@pytest.fixture
def subscriptions(ctx: Context) -> Subscriptions:
    return Subscriptions(ctx.redis, ChannelKeys(ctx.keys), ctx.secret)


async def test_a_subscription_replaces_its_areas_and_is_counted(
        subscriptions: Subscriptions) -> None:
    await subscriptions.subscribe("sms", "+33612345678", area_codes("75 92"), source="sms")
    await subscriptions.subscribe("telegram", "4242", area_codes("75"), source="telegram")
    assert await subscriptions.counts() == {"75": {"sms": 1, "telegram": 1}, "92": {"sms": 1}}
    changed = await subscriptions.subscribe("sms", "+33612345678", area_codes("2a,971"),
                                            lang="en", source="sms")
    assert changed.areas == ("2A", "971")
    assert await subscriptions.counts() == {"75": {"telegram": 1}, "2A": {"sms": 1},
                                            "971": {"sms": 1}}
    got = await subscriptions.get("sms", "+33612345678")
    assert got is not None and got.areas == ("2A", "971") and got.lang == "en"


async def test_unsubscribing_is_immediate_and_final(subscriptions: Subscriptions) -> None:
    await subscriptions.subscribe("email", "a@example.fr", area_codes("13"), source="form")
    assert await subscriptions.unsubscribe("email", "a@example.fr")
    assert await subscriptions.get("email", "a@example.fr") is None
    assert await subscriptions.counts() == {}
    assert not await subscriptions.unsubscribe("email", "a@example.fr")


def test_unknown_codes_are_named_with_how_to_write_one() -> None:
    with pytest.raises(InvalidInput, match="99.*75, 2A or 971"):
        area_codes("75 99")
    with pytest.raises(InvalidInput, match="at least one"):
        area_codes("")
