"""The pulse's sample draw on a real Redis: the size asked, distinct subscribers, each counted
once across départements, reproducible from its seed, and uniform (every subscriber as likely
to be drawn as any other, measured over many seeds)."""

from __future__ import annotations

import collections

from channels.alerts.sampling import draw_sample
from channels.keys import ChannelKeys
from crisis.context import Context


async def _seed(ctx: Context) -> ChannelKeys:
    keys = ChannelKeys(ctx.keys)
    await ctx.redis.sadd(keys.alert_area("75", "sms"), *[f"s{i}" for i in range(12)])
    await ctx.redis.sadd(keys.alert_area("92", "sms"), *[f"s{i}" for i in range(8, 16)])
    await ctx.redis.sadd(keys.alert_area("75", "telegram"), *[f"t{i}" for i in range(4)])
    await ctx.redis.sadd(keys.alert_channel("sms"), *[f"s{i}" for i in range(20)])
    return keys


async def test_the_size_asked_distinct_and_each_subscriber_once(ctx: Context) -> None:
    keys = await _seed(ctx)
    draw = await draw_sample(ctx.redis, keys, ("sms", "telegram"), ("75", "92"), 10, "seed")
    assert draw.population == 16 + 4  # s8..s11 are in both départements: once
    pairs = [(c, m) for c, members in draw.chosen.items() for m in members]
    assert len(pairs) == draw.drawn == 10 and len(set(pairs)) == 10
    everyone = await draw_sample(ctx.redis, keys, ("sms", "telegram"), ("75", "92"), 1000, "x")
    assert everyone.drawn == everyone.population == 20
    national = await draw_sample(ctx.redis, keys, ("sms",), (), 5, "seed")
    assert national.population == 20 and national.drawn == 5


async def test_the_same_seed_draws_the_same_sample(ctx: Context) -> None:
    keys = await _seed(ctx)
    first = await draw_sample(ctx.redis, keys, ("sms", "telegram"), ("75", "92"), 6, "a1")
    again = await draw_sample(ctx.redis, keys, ("sms", "telegram"), ("92", "75"), 6, "a1")
    other = await draw_sample(ctx.redis, keys, ("sms", "telegram"), ("75", "92"), 6, "b2")
    assert {c: sorted(m) for c, m in first.chosen.items()} == \
        {c: sorted(m) for c, m in again.chosen.items()}
    assert first.chosen != other.chosen


async def test_every_subscriber_is_equally_likely_to_be_drawn(ctx: Context) -> None:
    keys = await _seed(ctx)
    draws, size = 1000, 5
    seen: collections.Counter[str] = collections.Counter()
    for n in range(draws):
        draw = await draw_sample(ctx.redis, keys, ("sms",), (), size, f"seed-{n}")
        seen.update(draw.chosen["sms"])
    expected = draws * size / 20  # 250, standard deviation about 13.7
    assert len(seen) == 20
    assert all(abs(count - expected) < 5 * 13.7 for count in seen.values()), seen
    chi2 = sum((count - expected) ** 2 / expected for count in seen.values())
    assert chi2 < 43.8, chi2  # 19 degrees of freedom, p = 0.001
