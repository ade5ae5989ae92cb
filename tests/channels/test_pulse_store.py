"""The pulse store on a real Redis: which open pulse a reply answers, the end time closing
it, at most five open, closing once, and counts that stay one per citizen."""

from __future__ import annotations

import dataclasses
import time

import pytest

from channels.alerts.pulse_drafts import PulseDraft
from channels.alerts.pulses import MAX_OPEN, Pulses
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.errors import InvalidInput

DRAFT = PulseDraft(question="Avez-vous reçu la consigne ?",
                   options=("oui", "non", "je ne sais pas"),
                   question_en="", options_en=(), channels=("sms",), areas=("75",),
                   sample_size=3, minutes=60)


async def _pulses(ctx: Context) -> Pulses:
    keys = ChannelKeys(ctx.keys)
    await ctx.redis.sadd(keys.alert_area("75", "sms"), "a", "b", "c")
    return Pulses(ctx.redis, keys)


async def test_a_reply_answers_the_newest_open_pulse_that_drew_the_citizen(ctx: Context) -> None:
    pulses = await _pulses(ctx)
    first, _ = await pulses.create(DRAFT, author="cellule", base_url="https://x")
    second, _ = await pulses.create(DRAFT, author="cellule", base_url="https://x")
    assert first < second
    assert await pulses.open_for("sms", "a") == (second, 3)
    assert await pulses.open_for("telegram", "a") == ("", 0)  # drawn by SMS only
    assert await pulses.open_for("sms", "stranger") == ("", 0)
    await pulses.close(second)
    assert await pulses.open_for("sms", "a") == (first, 3)
    with pytest.raises(InvalidInput):
        await pulses.close(second)
    # Its end time passed: closed, without anyone closing it.
    keys = pulses.k
    await ctx.redis.hset(keys.pulse(first), "ends_at", time.time() - 1)
    await ctx.redis.zadd(keys.pulses_open, {first: time.time() - 1})
    assert await pulses.open_for("sms", "a") == ("", 0)
    assert (await pulses.results(first))["state"] == "closed"


async def test_at_most_five_open_at_once(ctx: Context) -> None:
    pulses = await _pulses(ctx)
    made = [(await pulses.create(DRAFT, author="c", base_url="https://x"))[0]
            for _ in range(MAX_OPEN)]
    with pytest.raises(InvalidInput, match="close one first"):
        await pulses.create(DRAFT, author="c", base_url="https://x")
    await pulses.close(made[0])
    await pulses.create(DRAFT, author="c", base_url="https://x")


async def test_nobody_in_scope_is_refused(ctx: Context) -> None:
    pulses = await _pulses(ctx)
    with pytest.raises(InvalidInput, match="nobody"):
        await pulses.create(dataclasses.replace(DRAFT, areas=("13",)), author="c",
                            base_url="https://x")
    assert await pulses.recent() == []


async def test_counts_stay_one_per_citizen_the_last_answer_winning(ctx: Context) -> None:
    pulses = await _pulses(ctx)
    pulse_id, _ = await pulses.create(DRAFT, author="c", base_url="https://x")
    for citizen, option in (("a", 1), ("b", 1), ("a", 3), ("a", 3), ("c", 2), ("b", 2)):
        await pulses.record_answer(pulse_id, "sms", citizen, option)
    results = await pulses.results(pulse_id)
    assert [o["answers"] for o in results["options"]] == [0, 2, 1]
    assert results["answers"] == 3
    # Everyone in scope answered: the shares are exact, no sampling error left.
    assert [o["margin"] for o in results["options"]] == [0.0, 0.0, 0.0]
