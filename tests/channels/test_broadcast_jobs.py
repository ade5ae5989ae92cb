"""A broadcast's channel jobs survive being handed back by a dead worker: they carry retries."""

from __future__ import annotations

from rq import Queue
from rq.job import Job

from channels.alerts.sending import JOB_RETRIES, SEND_JOB, enqueue_send
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.jobs import queue_name


async def test_a_channel_continuation_is_retried_when_its_worker_died_before_its_lease(
        ctx: Context) -> None:
    """A worker killed between taking a continuation and taking the channel's lease: the next
    worker hands the job back (crisis/abandoned_jobs.py) and RQ retries it, instead of failing
    it and leaving the channel reserved ("queued") for two minutes."""
    keys = ChannelKeys(ctx.keys)
    await enqueue_send(ctx.jobs, ctx.redis, keys, "b1", "sms")
    assert await ctx.redis.get(keys.broadcast_lease("b1", "sms")) == "queued"
    queue = Queue(queue_name(ctx.keys, "bulk"), connection=ctx.jobs.connection)
    [job] = [j for j in Job.fetch_many(queue.get_job_ids(), connection=ctx.jobs.connection) if j]
    assert job.func_name == SEND_JOB and job.args == ("b1", "sms")
    assert JOB_RETRIES >= 1 and job.retries_left == JOB_RETRIES
