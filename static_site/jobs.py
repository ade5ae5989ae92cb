"""RQ jobs of the site (run by `crisis worker`)."""

from __future__ import annotations

from pathlib import Path

from crisis.events import EventBus
from crisis.keys import Keys
from crisis.redis_client import async_redis
from static_site.builder import build_site
from static_site.triggers import pending_key


async def build_site_job(redis_url: str, prefix: str, site_dir: str, trigger: str) -> dict[str, object]:
    """Clear the pending flag, build from the live data, publish atomically."""
    client = async_redis(redis_url)
    try:
        await client.delete(pending_key(prefix))
        keys = Keys(prefix)
        report = await build_site(client, keys, EventBus(client, keys), Path(site_dir))
        return {"trigger": trigger, "pages": report.pages, "seconds": report.seconds}
    finally:
        await client.aclose()
