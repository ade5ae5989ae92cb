"""When to rebuild the site: crisis, publication and article events enqueue one coalesced build."""

from __future__ import annotations

import logging

from crisis.context import Context
from crisis.types import Event, EventType
from static_site.model import SiteConfig
from static_site.records import pending_key
from static_site.service import config_to_args

log = logging.getLogger(__name__)

REBUILD_ON = frozenset({
    EventType.CRISIS_ACTIVATED, EventType.CRISIS_LEVEL_CHANGED, EventType.CRISIS_DE_ESCALATING,
    EventType.CRISIS_RE_ESCALATED, EventType.CRISIS_CLOSED,
    EventType.PUBLICATION_PUBLISHED, EventType.PUBLICATION_WITHDRAWN,
    EventType.KB_ARTICLE_PUBLISHED, EventType.KB_ARTICLE_ARCHIVED, EventType.KB_IMPORTED,
    EventType.KB_ALTERNATE_VALIDATED,
})
PENDING_TTL_S = 600
JOB = "static_site.jobs.build_site_job"


async def on_event(ctx: Context, event: Event, config: SiteConfig) -> None:
    """Enqueue a build unless one is already waiting: triggers that arrive together coalesce.

    An activation always gets its own build, started from the scenario's dark site.
    """
    if event.type not in REBUILD_ON:
        return
    args = (ctx.redis_url, ctx.keys.prefix, str(ctx.settings.site_path), event.type,
            config_to_args(config))
    if event.type == EventType.CRISIS_ACTIVATED:
        await ctx.redis.set(pending_key(ctx.keys), event.type, ex=PENDING_TTL_S)
        await ctx.jobs.enqueue_async(JOB, *args, event.data.get("scenario"), retries=1)
    elif await ctx.redis.set(pending_key(ctx.keys), event.type, nx=True, ex=PENDING_TTL_S):
        await ctx.jobs.enqueue_async(JOB, *args, retries=1)
    else:
        return
    log.info("site build enqueued", extra={"trigger": event.type, "subject": event.subject})
