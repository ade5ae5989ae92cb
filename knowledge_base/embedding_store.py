"""The articles' sentence embeddings kept in Redis, one hash per model: made once for the
whole centre, read by every process.

Embedding an article costs 100-250 ms of a core. Without this, each web process embedded
every article after each start, and a `crisis kb ask` or `kb eval` embedded them all again
before its first answer (10 s for 50 articles). A field is the digest of the text embedded
(knowledge_base/semantic.py `text_key`, in hex), its value the float32 vector in base64
(the centre's Redis connections decode replies as text): an edited article's
text gets a new field, and the fields no article uses any more are dropped when they
outnumber the used ones.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
from collections.abc import Sequence
from typing import cast

import numpy as np
import redis.asyncio as aioredis

from knowledge_base.article import Article
from knowledge_base.keys import KbKeys
from knowledge_base.semantic import (
    DIMENSIONS, MODEL, Embedder, FloatArray, SemanticIndex, article_texts, text_key,
)

VECTOR_BYTES = DIMENSIONS * 4
READ_CHUNK = 500  # fields per HMGET: bounded replies, whatever the number of articles


class EmbeddingStore:
    def __init__(self, redis: aioredis.Redis, keys: KbKeys, model: str = MODEL) -> None:
        self.redis = redis
        self.key = keys.embeddings(model)

    async def load(self, embedder: Embedder, texts: Sequence[str]) -> int:
        """Give `embedder` the stored embeddings of `texts` it lacks; how many were found."""
        wanted = list(dict.fromkeys(k for k in map(text_key, texts) if not embedder.has(k)))
        found = 0
        for start in range(0, len(wanted), READ_CHUNK):
            chunk = wanted[start:start + READ_CHUNK]
            values = cast(list[str | None], await self.redis.hmget(
                self.key, [k.hex() for k in chunk]))
            for key, value in zip(chunk, values):
                vector = _decoded(value)
                if vector is not None:  # else made again (absent, or not a vector of this model)
                    embedder.remember(key, vector)
                    found += 1
        return found

    async def save(self, embedder: Embedder, texts: Sequence[str]) -> int:
        """Store what `embedder` made since the last save; drop the fields of texts no longer
        indexed once they outnumber `texts`. How many were stored."""
        made = {k: base64.b64encode(v.astype(np.float32).tobytes()).decode("ascii")
                for k in list(embedder.unsaved) if (v := embedder.vector(k)) is not None}
        if made:
            await self.redis.hset(self.key, mapping={k.hex(): v for k, v in made.items()})
            embedder.unsaved.difference_update(made)
        keep = {text_key(t).hex() for t in texts}
        if await self.redis.hlen(self.key) > 2 * max(len(keep), 1):
            stale = [f for f in await self.redis.hkeys(self.key) if f not in keep]
            if stale:
                await self.redis.hdel(self.key, *stale)
        return len(made)


async def build_semantic_index(stored: EmbeddingStore, articles: Sequence[Article],
                               embedder: Embedder, stop: threading.Event | None = None,
                               ) -> SemanticIndex | None:
    """The embeddings of `articles`: those stored read, the others made (in a thread: minutes
    for a large base) and stored. None as `SemanticIndex.build` says (too many, or stopped)."""
    texts = article_texts(articles)
    await stored.load(embedder, texts)
    try:
        return await asyncio.to_thread(SemanticIndex.build, articles, embedder, stop)
    finally:
        await stored.save(embedder, texts)  # what was made before a stop is kept too


def _decoded(value: str | None) -> FloatArray | None:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return np.frombuffer(raw, dtype=np.float32).copy() if len(raw) == VECTOR_BYTES else None
