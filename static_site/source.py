"""Where the site's data comes from: live crises, live publications, public articles.

Articles come from the knowledge base (the KnowledgeBase the caller was handed): published
articles for the public audience (the scenario's starter articles are imported at activation).
"""

from __future__ import annotations

import redis.asyncio as aioredis

from crisis.crises import Crises
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.publications import Publications
from crisis.types import utcnow
from knowledge_base import KnowledgeBase
from static_site.model import SiteData


async def load_site_data(redis: aioredis.Redis, keys: Keys, bus: EventBus,
                         kb: KnowledgeBase) -> SiteData:
    """One snapshot of what the public must see now, and of the archive (closed crises)."""
    crises = await Crises(redis, keys, bus).list()
    publications = await Publications(redis, keys, bus).list_live()
    articles = await kb.public_articles()
    return SiteData.clean(crises, publications, articles, utcnow())
