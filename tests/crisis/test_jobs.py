"""Enqueueing from the async core: batched under a burst, nothing lost, errors reach callers."""

from __future__ import annotations

import asyncio
import sys

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


WORKER = """
import os, sys
from crisis.worker import CentreWorker, queues
from crisis.keys import Keys
from crisis.redis_client import sync_redis
connection = sync_redis(sys.argv[1], decode=False)
CentreWorker(queues(connection, Keys(sys.argv[2])), connection=connection).work(
    burst=True, logging_level="WARNING")
print(os.getpid())
"""


async def test_the_centre_worker_runs_replies_in_process_and_forks_the_rest(
        ctx: Context, redis_url: str) -> None:
    """Reply sends skip the fork (thousands a minute in a surge); heavier jobs keep it."""
    reply = ctx.jobs.enqueue("os.getpid", queue="replies", retries=0)
    build = ctx.jobs.enqueue("os.getpid", queue="default", retries=0)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, redis_url, ctx.keys.prefix, stdout=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    worker_pid = int(output.split()[-1])
    done = {job.id: job for job in Job.fetch_many([reply, build], connection=ctx.jobs.connection) if job}
    assert done[reply].return_value() == worker_pid
    assert done[build].return_value() not in (None, worker_pid)
