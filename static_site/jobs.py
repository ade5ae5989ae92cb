"""RQ jobs of the site (run by `crisis worker`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crisis.events import EventBus
from crisis.keys import Keys
from crisis.redis_client import async_redis
from knowledge_base import KnowledgeBase
from static_site.records import pending_key
from static_site.service import config_from_args, run_build


async def build_site_job(redis_url: str, prefix: str, site_dir: str, trigger: str,
                         config: dict[str, Any], scenario: str | None = None) -> dict[str, object]:
    """Clear the pending flag, then build from the live data and publish atomically.

    The flag is cleared before reading, so a change landing during the build gets a build.
    """
    client = async_redis(redis_url)
    try:
        keys = Keys(prefix)
        await client.delete(pending_key(keys))
        # A job runs without the app: its knowledge base is built on the job's connection.
        kb = KnowledgeBase(client, keys, EventBus(client, keys))
        record = await run_build(client, keys, config_from_args(config), Path(site_dir), kb=kb,
                                 trigger=trigger, scenario=scenario)
        return {"id": record.id, "ok": record.ok, "pages": record.pages_changed,
                "seconds": record.seconds, "error": record.error}
    finally:
        await client.aclose()
