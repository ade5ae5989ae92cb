"""When to rebuild the site: crisis and publication events enqueue one coalesced build job."""

from __future__ import annotations

import logging

from crisis.context import Context
from crisis.types import Event

log = logging.getLogger(__name__)

REBUILD_ON = frozenset({
    "crisis.activated", "crisis.level_changed", "crisis.de_escalating", "crisis.re_escalated",
    "crisis.closed", "publication.published", "publication.withdrawn",
})
PENDING_TTL_S = 600


def pending_key(prefix: str) -> str:
    return f"{prefix}site:build-pending"


async def on_event(ctx: Context, event: Event) -> None:
    """Enqueue a build unless one is already waiting: triggers that arrive together coalesce."""
    if event.type not in REBUILD_ON:
        return
    # The flag is cleared by the job when it starts reading, so a change that lands while a
    # build runs still gets its own build, and a burst of changes gets only one.
    if await ctx.redis.set(pending_key(ctx.keys.prefix), event.type, nx=True, ex=PENDING_TTL_S):
        await ctx.jobs.enqueue_async(
            "static_site.jobs.build_site_job", ctx.redis_url, ctx.keys.prefix,
            str(ctx.settings.site_path), event.type)
        log.info("site build enqueued", extra={"trigger": event.type, "subject": event.subject})
