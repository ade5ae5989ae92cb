"""Personal data does not outlive its use: the retention purge and its scheduling."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from rq.registry import ScheduledJobRegistry

from channels.api import DESK
from channels.retention import purge_closed
from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.jobs import queue_name
from crisis.redis_client import sync_redis
from crisis.types import ChannelKind, InboundMessage, utcnow
from knowledge_base import KnowledgeBase
from tests.channels.conftest import until
from tests.conftest import CELL


def inbound(address: str, sid: str) -> InboundMessage:
    return InboundMessage(channel=ChannelKind.SMS, address=address, text="bonjour",
                          provider_id=sid, received_at=utcnow())


async def test_purge_deletes_closed_conversations_and_unused_addresses(client: Any,
                                                                       ctx: Context) -> None:
    desk = client.app[DESK]
    first = await desk.store.receive(inbound("+33600000001", "S1"))
    second = await desk.store.receive(inbound("+33600000002", "S2"))
    assert first is not None and second is not None
    gone = await desk.store.get(first.conversation_id)
    kept = await desk.store.get(second.conversation_id)
    await desk.close(gone.id, "test")
    report = await purge_closed(ctx.redis, desk.k, utcnow() + dt.timedelta(seconds=1))
    assert (report.conversations, report.citizens) == (1, 1)
    assert not await ctx.redis.exists(desk.k.conversation(gone.id), desk.k.messages(gone.id),
                                      desk.k.citizen(gone.citizen))
    assert await desk.store.address_of(await desk.store.get(kept.id)) == "+33600000002"
    again = await purge_closed(ctx.redis, desk.k, utcnow())
    assert again.conversations == 0


async def test_closing_a_crisis_schedules_the_purge(client: Any, ctx: Context,
                                                    redis_url: str) -> None:
    crisis = await activate_scenario(ctx.crises, ctx.publications, "tempete", areas="29",
                                     level=1, actor=CELL)
    await ctx.crises.close(crisis.id, actor=CELL)
    connection = sync_redis(redis_url, decode=False)
    registry = ScheduledJobRegistry(queue_name(ctx.keys, "default"), connection=connection)

    async def scheduled() -> Any:
        return registry.get_job_ids()

    job_id = (await until(scheduled))[0]
    when = registry.get_scheduled_time(job_id)
    assert dt.timedelta(days=29) < when - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30)
    connection.close()


async def test_the_purge_covers_citizens_words_in_the_knowledge_base(kb: None, client: Any,
                                                                     ctx: Context) -> None:
    """Questions left unanswered and phrasings learnt from replies are the citizens' words:
    they go with the conversations, not "until covered by an article"."""
    from channels.retention import purge
    from crisis.types import Principal, Role
    from knowledge_base.alternates import pending_alternates, propose_alternate
    from knowledge_base.learning import record_unanswered, unanswered_questions
    from knowledge_base.store import ArticleStore

    store = ArticleStore(ctx.redis, ctx.keys, ctx.bus)
    article = (await store.published())[0]
    operator = Principal("op1", Role.OPERATOR)
    await record_unanswered(store, "mon voisin Jean Dupont est bloqué au 3 rue des Lilas",
                            lang="fr", channel="sms")
    await propose_alternate(store, article.id, "ma fille Léa est à l'école Jaurès, que faire",
                            actor=operator, source="operator-answer")
    # A citizen's pick from a queue notice's menu: their question, proposed for the cell.
    await KnowledgeBase.from_context(ctx).record_citizen_choice(
        "mon fils Tom est au collège Zola il rentre comment ?", article.id)
    await propose_alternate(store, article.id, "faut-il couper le gaz pendant la crue",
                            actor=operator)  # an operator's own proposal: not a citizen's
    cutoff = utcnow()
    await record_unanswered(store, "le pont de la mairie est-il fermé", lang="fr", channel="chat")

    report = await purge(ctx.redis, ctx.keys, KnowledgeBase.from_context(ctx), cutoff)
    assert (report.unanswered_questions, report.learnt_phrasings) == (1, 2)
    assert [q.question for q in await unanswered_questions(store)] == [
        "le pont de la mairie est-il fermé"]
    assert [p.text for p in await pending_alternates(store)] == [
        "faut-il couper le gaz pendant la crue"]
    # A second purge with the same cutoff finds nothing more.
    again = await purge(ctx.redis, ctx.keys, KnowledgeBase.from_context(ctx), cutoff)
    assert (again.unanswered_questions, again.learnt_phrasings) == (0, 0)


async def test_a_legal_hold_suspends_the_purge_until_released(
        client: Any, ctx: Context, env: dict[str, str], redis_url: str) -> None:
    from channels.retention import hold_of, release_hold, set_hold
    from tests.channels.test_sms import run_worker_burst

    desk = client.app[DESK]
    received = await desk.store.receive(inbound("+33600000003", "S3"))
    assert received is not None
    await desk.close(received.conversation_id, "test")
    await set_hold(ctx.redis, desk.k, CELL, "enquête judiciaire n° 2026/123")
    assert (await hold_of(ctx.redis, desk.k) or {})["reason"] == "enquête judiciaire n° 2026/123"

    await asyncio.to_thread(ctx.jobs.enqueue, "channels.retention.purge_job", 0)
    await run_worker_burst(env)
    assert await ctx.redis.exists(desk.k.conversation(received.conversation_id))  # kept
    connection = sync_redis(redis_url, decode=False)
    registry = ScheduledJobRegistry(queue_name(ctx.keys, "default"), connection=connection)
    assert registry.get_job_ids()  # the purge comes back a day later
    connection.close()

    assert await release_hold(ctx.redis, desk.k, CELL)
    await asyncio.to_thread(ctx.jobs.enqueue, "channels.retention.purge_job", 0)
    await run_worker_burst(env)
    assert not await ctx.redis.exists(desk.k.conversation(received.conversation_id))


def test_the_hold_on_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    from tests.crisis.test_cli import run

    assert "no legal hold" in run(env, "retention", "status", cwd=tmp_path).stdout
    held = run(env, "retention", "hold", "enquête 2026/7", cwd=tmp_path)
    assert held.returncode == 0 and "legal hold set" in held.stderr
    assert "LEGAL HOLD" in run(env, "retention", "status", cwd=tmp_path).stdout
    assert run(env, "retention", "hold", "   ", cwd=tmp_path).returncode == 1  # say why
    assert "released" in run(env, "retention", "release", cwd=tmp_path).stderr
