"""The articles' sentence embeddings kept in Redis, one hash per model: made once for the
whole centre, read by every process.

Embedding an article costs 100-250 ms of a core. Without this, each web process embedded
every article after each start, and a `crisis kb ask` or `kb eval` embedded them all again
before its first answer (10 s for 50 articles). A field is the digest of the text embedded
(knowledge_base/semantic.py `text_key`, in hex), its value the float32 vector in base64
(the centre's Redis connections decode replies as text): an edited article's
text gets a new field, and the fields no article uses any more are dropped when they
outnumber the used ones.

Several processes starting together (the web processes of `crisis up`, a rolling restart)
would each make the same missing embeddings: one process makes them while it holds the
model's claim (a Redis lock, renewed while it works, ended by its expiry if the process
dies); the others wait, reading what it stores, and make only what is still missing after.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import threading
from collections.abc import AsyncIterator, Sequence
from typing import cast

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import LockError

from knowledge_base.article import Article
from knowledge_base.keys import KbKeys
from knowledge_base.semantic import (
    DIMENSIONS, MODEL, Embedder, FloatArray, SemanticIndex, article_texts, text_key,
)

VECTOR_BYTES = DIMENSIONS * 4
READ_CHUNK = 500  # fields per HMGET: bounded replies, whatever the number of articles
# The claim to make a model's missing embeddings: renewed every CLAIM_TTL_S / 3 while held,
# so a dead holder's claim ends within CLAIM_TTL_S; a waiter looks again every CLAIM_POLL_S.
CLAIM_TTL_S = 30
CLAIM_POLL_S = 1.0


class EmbeddingStore:
    def __init__(self, redis: aioredis.Redis, keys: KbKeys, model: str = MODEL,
                 poll_s: float = CLAIM_POLL_S) -> None:
        self.redis = redis
        self.key = keys.embeddings(model)
        self.claim_key = keys.embedding_claim(model)
        self.poll_s = poll_s

    @contextlib.asynccontextmanager
    async def making(self, embedder: Embedder, texts: Sequence[str],
                     stop: threading.Event | None = None) -> AsyncIterator[None]:
        """Around making the embeddings of `texts` that `embedder` lacks: first, while another
        process holds the claim, wait and read what it stores; then hold the claim (if any
        is still missing) while the body makes the rest, and store them at the end (what was
        made before a stop too)."""
        claim = self.redis.lock(self.claim_key, timeout=CLAIM_TTL_S, blocking=False)
        held = False
        while any(not embedder.has(text_key(t)) for t in texts):
            if await claim.acquire():
                held = True
                break
            if stop is not None and stop.is_set():
                break
            await asyncio.sleep(self.poll_s)
            await self.load(embedder, texts)
        renewing = asyncio.create_task(_renew(claim)) if held else None
        try:
            yield
        finally:
            if renewing is not None:
                renewing.cancel()
                await asyncio.gather(renewing, return_exceptions=True)
            try:
                await self.save(embedder, texts)
            finally:
                if held:
                    with contextlib.suppress(LockError):  # expired: another holds it now
                        await claim.release()

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
    async with stored.making(embedder, texts, stop):
        return await asyncio.to_thread(SemanticIndex.build, articles, embedder, stop)


async def _renew(claim: aioredis.lock.Lock) -> None:
    """Keep the claim while its holder works (a build of many articles takes minutes)."""
    while True:
        await asyncio.sleep(CLAIM_TTL_S / 3)
        await claim.extend(CLAIM_TTL_S, replace_ttl=True)


def _decoded(value: str | None) -> FloatArray | None:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return np.frombuffer(raw, dtype=np.float32).copy() if len(raw) == VECTOR_BYTES else None
