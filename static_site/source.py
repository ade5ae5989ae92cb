"""Where the site's data comes from: live crises, live publications, public articles.

Articles come from the knowledge base's store: published articles for the public audience
(the scenario's starter articles are imported into it at activation).
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from crisis.crises import Crises
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.publications import Publications
from crisis.types import utcnow
from knowledge_base.article import Article
from knowledge_base.store import ArticleStore
from static_site.model import SiteData


async def public_articles(store: ArticleStore) -> Sequence[Article]:
    """Published, public articles to show on the site."""
    return await store.published(audience="public")


async def load_site_data(redis: aioredis.Redis, keys: Keys, bus: EventBus) -> SiteData:
    """One snapshot of what the public must see now, and of the archive (closed crises)."""
    crises = await Crises(redis, keys, bus).list()
    publications = await Publications(redis, keys, bus).list_live()
    articles = await public_articles(ArticleStore(redis, keys, bus))
    return SiteData.clean(crises, publications, articles, utcnow())
