"""When to rebuild the site: crisis, publication and article events enqueue one coalesced build."""

from __future__ import annotations

import logging

from crisis.context import Context
from crisis.types import Event
from static_site.model import SiteConfig
from static_site.records import pending_key
from static_site.service import config_to_args

log = logging.getLogger(__name__)

REBUILD_ON = frozenset({
    "crisis.activated", "crisis.level_changed", "crisis.de_escalating", "crisis.re_escalated",
    "crisis.closed", "publication.published", "publication.withdrawn",
    "kb.article_published", "kb.article_archived", "kb.imported", "kb.alternate_validated",
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
    if event.type == "crisis.activated":
        await ctx.redis.set(pending_key(ctx.keys), event.type, ex=PENDING_TTL_S)
        await ctx.jobs.enqueue_async(JOB, *args, event.data.get("scenario"), retries=1)
    elif await ctx.redis.set(pending_key(ctx.keys), event.type, nx=True, ex=PENDING_TTL_S):
        await ctx.jobs.enqueue_async(JOB, *args, retries=1)
    else:
        return
    log.info("site build enqueued", extra={"trigger": event.type, "subject": event.subject})
