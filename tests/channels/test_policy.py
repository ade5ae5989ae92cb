"""The queue policy's per-process cache: read at most once a second, dropped on our own change."""

from __future__ import annotations

from typing import Any

from channels.api import DESK
from channels.keys import ChannelKeys
from channels.policy import PolicyCache, QueuePolicy, load_policy, save_policy
from crisis.context import Context
from crisis.types import Role
from tests.conftest import bearer


async def test_the_cache_serves_for_its_ttl_then_reads_again(ctx: Context) -> None:
    keys = ChannelKeys(ctx.keys)
    clock = [100.0]
    cache = PolicyCache(ctx.redis, keys, ttl_s=1.0, clock=lambda: clock[0])
    assert (await cache.get()).skill_wait_s == 120
    await save_policy(ctx.redis, keys, QueuePolicy(skill_wait_s=30))  # another process
    clock[0] += 0.9
    assert (await cache.get()).skill_wait_s == 120
    clock[0] += 0.1
    assert (await cache.get()).skill_wait_s == 30
    await cache.save(QueuePolicy(skill_wait_s=45))  # our own change: applied at once
    assert (await cache.get()).skill_wait_s == 45


async def test_the_supervisors_change_applies_at_once_in_their_process(
        client: Any, ctx: Context) -> None:
    desk = client.app[DESK]
    assert (await desk.policies.get()).skill_wait_s == 120  # cached now
    headers = await bearer(ctx, "sup", Role.SUPERVISOR)
    response = await client.put("/api/contact-centre/policy", headers=headers,
                                json={"skill_wait_s": 30})
    assert (await response.json())["skill_wait_s"] == 30
    assert (await desk.policies.get()).skill_wait_s == 30
    assert (await load_policy(ctx.redis, desk.k)) == QueuePolicy(skill_wait_s=30)
    bad = await client.put("/api/contact-centre/policy", headers=headers,
                           json={"skill_wait_s": -1})
    assert bad.status == 400 and "skill_wait_s" in (await bad.json())["error"]["message"]
