"""The contact centre's Prometheus counters follow what was written, not what was prepared."""

from __future__ import annotations

from channels.keys import ChannelKeys
from channels.service_levels import AUTO_ANSWERED, CONTACTS, ServiceLevels
from crisis.context import Context
from crisis.types import ChannelKind


async def test_counts_prepared_for_a_write_that_fails_are_not_counted_until_written(
        ctx: Context) -> None:
    """The inbound pipeline prepares a message's counts, then writes them with its handled
    mark. When that write fails (Redis away) the message is handled again later: the
    process's counters must add it once, when the write lands."""
    levels = ServiceLevels(ctx.redis, ChannelKeys(ctx.keys))
    auto_before = AUTO_ANSWERED.labels("telegram")._value.get()
    contacts_before = CONTACTS.labels("telegram")._value.get()
    for _ in range(2):  # prepared twice: a first try whose write failed, then the retry
        counts = [*levels.contact_counts(ChannelKind.TELEGRAM),
                  *levels.auto_answered_counts(ChannelKind.TELEGRAM)]
    assert AUTO_ANSWERED.labels("telegram")._value.get() == auto_before
    levels.counted(counts)
    assert AUTO_ANSWERED.labels("telegram")._value.get() == auto_before + 1
    assert CONTACTS.labels("telegram")._value.get() == contacts_before + 1
    await levels.auto_answered(ChannelKind.TELEGRAM)  # written and counted in one step
    assert AUTO_ANSWERED.labels("telegram")._value.get() == auto_before + 2
    assert float((await ctx.redis.hgetall(levels.key))["auto:telegram"]) == 1.0
