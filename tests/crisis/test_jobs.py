"""Enqueueing from the async core: batched under a burst, nothing lost, errors reach callers."""

from __future__ import annotations

import asyncio

import pytest
from rq import Queue
from rq.job import Job

from crisis.context import Context
from crisis.jobs import queue_name


async def test_a_burst_of_enqueues_lands_every_job_once_with_its_arguments_and_retries(
        ctx: Context) -> None:
    ids = await asyncio.gather(*(
        ctx.jobs.enqueue_async("channels.sms.jobs.send_sms_job", f"c{n}", f"m{n}", "texte",
                               queue="replies", retries=3) for n in range(300)))
    assert len(set(ids)) == 300
    queue = Queue(queue_name(ctx.keys, "replies"), connection=ctx.jobs.connection)
    assert queue.count == 300
    jobs = Job.fetch_many(queue.get_job_ids(), connection=ctx.jobs.connection)
    assert sorted(job.args[0] for job in jobs if job) == sorted(f"c{n}" for n in range(300))
    assert all(job and job.retries_left == 3 and job.func_name.endswith("send_sms_job")
               for job in jobs)


async def test_one_job_id_twice_in_a_burst_is_enqueued_without_losing_the_others(
        ctx: Context) -> None:
    ids = await asyncio.gather(
        ctx.jobs.enqueue_async("static_site.jobs.build_site_job", 1, job_id="build-x"),
        ctx.jobs.enqueue_async("static_site.jobs.build_site_job", 2, job_id="build-x"),
        ctx.jobs.enqueue_async("static_site.jobs.build_site_job", 3))
    assert ids[0] == ids[1] == "build-x" and ids[2] != "build-x"
    queue = Queue(queue_name(ctx.keys, "default"), connection=ctx.jobs.connection)
    assert set(queue.get_job_ids()) == {"build-x", ids[2]}


async def test_a_failing_batch_reaches_every_caller_and_the_next_batch_works(
        ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis went away")

    with monkeypatch.context() as patch:
        patch.setattr(ctx.jobs._queues["bulk"], "enqueue_many", refuse)
        results = await asyncio.gather(
            *(ctx.jobs.enqueue_async("x.y", n, queue="bulk") for n in range(5)),
            return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    # The failed batch did not wedge the queue: the next call goes through.
    job_id = await ctx.jobs.enqueue_async("x.y", 6, queue="bulk")
    queue = Queue(queue_name(ctx.keys, "bulk"), connection=ctx.jobs.connection)
    assert queue.get_job_ids() == [job_id]
