"""Where the site's data comes from: live crises, live publications, public articles.

Articles are interim, until the knowledge base keeps its published articles in Redis:
the starter articles of the live crises' scenarios (crisis/scenarios/*.articles.jsonl).
The builder only calls `public_articles`; pointing it at the store is a change here alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from crisis.crises import Crises
from crisis.events import EventBus
from crisis.keys import Keys
from crisis.publications import Publications
from crisis.scenarios import starter_articles_text
from crisis.types import Crisis, utcnow
from knowledge_base.article import Article, parse_article_lines
from static_site.model import SiteData


async def public_articles(crises: Sequence[Crisis]) -> Sequence[Article]:
    """Published, public articles to show on the site."""
    found: dict[tuple[str, str], Article] = {}
    for scenario_id in sorted({c.scenario_id for c in crises}):
        for article in parse_article_lines(starter_articles_text(scenario_id).splitlines()):
            found.setdefault((article.lang, article.id), article)
    return [a for a in found.values() if a.audience == "public" and a.status == "published"]


async def load_site_data(redis: aioredis.Redis, keys: Keys, bus: EventBus) -> SiteData:
    """One snapshot of what the public must see now."""
    crises = await Crises(redis, keys, bus).list_live()
    publications = await Publications(redis, keys, bus).list_live()
    articles = await public_articles(crises)
    return SiteData.clean(crises, publications, articles, utcnow())
