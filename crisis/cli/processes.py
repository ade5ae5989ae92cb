"""The long-running commands: `crisis up` (supervisor), `crisis web`, `crisis worker`.

Process model of `crisis up`: web processes only serve and acknowledge (`web --no-events`);
`worker --events` processes (one by default, `--events-processes N`) run the event
consumers (auto-answer, queueing, console events, site builds), so a burst of webhooks never
waits behind the pipeline's work; RQ workers run the jobs (outbound SMS, builds, purges).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import importlib
import logging
import os
import secrets
import shlex
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web
from twilio.request_validator import RequestValidator

from channels.reply_consumer import drain_replies, start_reply_consumer
from channels.second_look_consumer import start_second_look_consumer
from crisis.app import build_app
from crisis.web.app_keys import CONTEXT
from crisis.cli.core_commands import say
from crisis.cli.runtime import acting_principal, command_context, redis_url_for
from crisis.data_dir import prepare_data_dir
from crisis.errors import ConfigError
from crisis.demo import DEMO_MASTODON_PATH, DEMO_SCENARIO, demo_sandbox_env, ensure_demo
from crisis.heartbeat import process_name, start_beating_thread
from crisis.idle_class import idle_class_with_floor
from crisis.worker import bind_worker_settings, queues
from crisis.worker_context import bind_worker_context, close_worker_context
from crisis.keys import Keys
from crisis.logs import chatty_level
from crisis.metrics_port import start_metrics_port
from crisis.parent_death import forked_children_die_with_this_process
from crisis.redis_client import sync_redis
from crisis.redis_outage_worker import OutageTolerantWorker, wait_for_redis
from crisis.redis_server import EmbeddedRedis
from crisis.schema import ensure_schema
from crisis.settings import Settings, load_settings
from crisis.supervisor import Supervisor
from knowledge_base import KnowledgeBase
from static_site.model import SiteConfig
from static_site.service import run_build

log = logging.getLogger(__name__)
_IMPORTED = time.monotonic()
PARENT_CHECK_S = 1.0
# The event consumers yield the CPU to the web processes when it is short: a webhook's
# acknowledgement (Twilio retries after 15 s, and a retry is more load) comes before what
# happens next, which a backlog in the stream only delays. Measured in docs/performance.md.
EVENTS_NICENESS = 5
# RQ's registry clean-up (and our hand-back of dead workers' jobs) every minute instead of
# every 10: a job abandoned by a worker of another machine waits its lease, not 10 minutes more.
MAINTENANCE_INTERVAL_S = 60


def _watch_parent(parent_pid: int | None) -> None:
    """Send ourselves SIGTERM (a clean stop) when the supervisor that started us is gone."""
    if parent_pid is None:
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(PARENT_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _check_schema(settings: Settings, url: str) -> None:
    """Refuse to run on data of a newer version; migrate older data (crisis/schema.py).
    Redis not there yet (restarting, a failover): wait for it rather than die."""
    client = sync_redis(url)
    try:
        wait_for_redis(client, what="start-up")
        ensure_schema(client, Keys(settings.redis_prefix))
    finally:
        client.close()


def run_web(settings: Settings, args: argparse.Namespace) -> int:
    with redis_url_for(settings) as url:
        _check_schema(settings, url)
        app = build_app(settings, url, consume_events=not args.no_events)
        _watch_parent(args.parent_pid)
        # What start-up built lives as long as the process: out of the collector's sight, a
        # full collection (a pause for every request in flight) has far less to walk.
        gc.freeze()
        log.info("web listening", extra={"url": f"http://{settings.host}:{settings.port}"})
        web.run_app(app, host=settings.host, port=settings.port, reuse_port=args.reuse_port,
                    shutdown_timeout=5.0, print=None, access_log=None, handle_signals=True)
    return 0


async def _consume_events(settings: Settings, url: str) -> None:
    """The whole app, started without a port: every package's subscriptions and what they
    need (the knowledge-base index kept fresh...) run here until SIGTERM/SIGINT."""
    # No article embeddings here: they serve operators' suggestions, which only web processes
    # give, and the workers' second look; the automatic answer's fast path never uses them
    # (knowledge_base/semantic.py), but with them on it leaves bare-top questions to the
    # second look (channels/second_look_consumer.py).
    app = build_app(dataclasses.replace(settings, kb_semantic=False), url, heartbeat_kind="events",
                    second_look=settings.kb_semantic)
    runner = web.AppRunner(app, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await runner.setup()
    gc.freeze()  # as in run_web: start-up's objects are never garbage
    log.info("event consumers running", extra={"groups": sorted(app[CONTEXT].subscriptions)})
    try:
        await stop.wait()
    finally:
        # Handlers in flight finish or are cancelled; an unacknowledged event is read again
        # by the next consumer (nothing acknowledged to a citizen is lost).
        await runner.cleanup()


# The modules of every job, imported before working so forked work horses inherit them: a
# fork that imported the channels package itself paid ~1.7 s per SMS (bench_reply_jobs.py).
JOB_MODULES = ("channels.outbound", "channels.alerts.sending", "channels.alerts.email_optin",
               "channels.retention", "static_site.jobs", "monitoring.feed_polling",
               "monitoring.mastodon_watch", "channels.voice.jobs")


def preload_job_modules() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)


def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    # Before waiting for Redis: a process waiting for it can be seen doing so (and a port
    # already taken is said at once). Off unless CRISIS_METRICS_PORT is set.
    metrics_port = start_metrics_port(settings)
    try:
        if args.events:
            _run_events(settings, args)
        else:
            _run_rq_worker(settings, args)
    finally:
        if metrics_port is not None:
            metrics_port.close()
    return 0


def _run_events(settings: Settings, args: argparse.Namespace) -> None:
    with redis_url_for(settings) as url:
        _check_schema(settings, url)
        _watch_parent(args.parent_pid)
        os.nice(EVENTS_NICENESS)
        # The webhooks first under a surge, the pipeline never below its floor
        # (crisis/idle_class.py); only this, the event loop's thread, is moved.
        with idle_class_with_floor(settings.events_cpu_floor):
            asyncio.run(_consume_events(settings, url))


def _run_rq_worker(settings: Settings, args: argparse.Namespace) -> None:
    with redis_url_for(settings) as url:
        _check_schema(settings, url)
        keys = Keys(settings.redis_prefix)
        bind_worker_settings(settings, url)
        bind_worker_context(settings, url)
        connection = sync_redis(url, decode=False)
        preload_job_modules()
        stop_beating = start_beating_thread(sync_redis(url), keys, "worker")
        _watch_parent(args.parent_pid)
        # Reply sends in process, everything else forked (see CentreWorker). The hot inbound
        # path does not go through RQ at all (see DESIGN.md). Redis away at start-up or later
        # is waited for, not a reason to die (crisis/redis_outage_worker.py).
        wait_for_redis(connection, what="worker start-up")
        # Its scheduler and work horses (forks) must not outlive it (crisis/parent_death.py).
        forked_children_die_with_this_process()
        worker = OutageTolerantWorker(queues(connection, keys), connection=connection,
                                      name=process_name(),
                                      maintenance_interval=MAINTENANCE_INTERVAL_S)
        # Replies to citizens do not wait behind jobs: a consumer process sends them in
        # batches beside them (channels/reply_consumer.py); in burst mode, before and after.
        name = process_name()
        stop_replies = None if args.burst else start_reply_consumer(settings, url)
        # Questions whose top article is bare, decided with the embeddings beside the jobs
        # (channels/second_look_consumer.py); none when the embeddings are off.
        stop_looks = None if args.burst else start_second_look_consumer(settings, url)
        try:
            if args.burst:
                drain_replies(settings, url, name)
            worker.work(burst=args.burst, with_scheduler=True,
                        logging_level=chatty_level(settings.log_level))
            if args.burst:
                drain_replies(settings, url, name)
        finally:
            if stop_replies is not None:
                stop_replies()
            if stop_looks is not None:
                stop_looks()
            stop_beating.set()
            close_worker_context()


async def _serve_smtp(settings: Settings, url: str) -> None:
    """The e-mail listener over a context built as the event consumers' is, until
    SIGTERM/SIGINT; it beats as kind "smtp" so `crisis status` sees it."""
    from channels.email.service import serve_mail  # aiosmtpd only in this process

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with command_context(settings, url) as ctx:
        stop_beating = start_beating_thread(sync_redis(url), ctx.keys, "smtp")
        relay = None
        if settings.mail_sandbox and settings.smtp_relay is not None:  # the demo's relay
            from channels.email.sandbox import start_sandbox_relay
            from channels.keys import ChannelKeys

            relay = await start_sandbox_relay(ctx.redis, ChannelKeys(ctx.keys).sandbox("mail"),
                                              settings.smtp_relay.host, settings.smtp_relay.port)
        try:
            await serve_mail(ctx, stop)
        finally:
            stop_beating.set()
            if relay is not None:
                relay.close()


def run_smtp(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.email_enabled:
        raise ConfigError("`crisis smtp` needs CRISIS_MAIL_ACCEPT: the addresses or @domains "
                          "it takes mail for (it is never an open relay)")
    with redis_url_for(settings) as url:
        _check_schema(settings, url)
        _watch_parent(args.parent_pid)
        asyncio.run(_serve_smtp(settings, url))
    return 0


async def _prepare_demo(settings: Settings, url: str, as_user: str | None) -> None:
    async with command_context(settings, url) as ctx:
        actor = await acting_principal(ctx, as_user)
        created = await ensure_demo(ctx, actor)
        # Also done by the crisis.activated subscription once the web starts; done here too
        # so the very first demo SMS already finds its answer (the import is idempotent).
        await KnowledgeBase.from_context(ctx).import_starter_articles(DEMO_SCENARIO)
    if created:
        say("demo accounts (passwords shown once, keep them):")
        for name, password in created.items():
            say(f"  {name:<12} {password}")


async def _prepare_demo_watch(settings: Settings, url: str) -> None:
    """Once the web answers: the demo feed (served by the centre itself) registered and its
    first poll queued, the demo rumour and polls; the events process plays the signals."""
    from monitoring.demo_watch import prepare_demo_watch
    from monitoring.feeds import POLL_JOB
    from monitoring.keys import WatchKeys

    async with command_context(settings, url) as ctx:
        jobs = ctx.jobs

        def enqueue_poll(name: str, chain: str) -> None:
            jobs.enqueue(POLL_JOB, name, chain, retries=0)
        await prepare_demo_watch(ctx.redis, WatchKeys(ctx.keys), settings.base_url, enqueue_poll)


async def _first_site_build(settings: Settings, url: str) -> None:
    """A fresh data dir has no site yet: build it now so / answers from the first second."""
    async with command_context(settings, url) as ctx:
        record = await run_build(ctx.redis, ctx.keys, SiteConfig.from_settings(settings),
                                 settings.site_path, kb=KnowledgeBase.from_context(ctx),
                                 trigger="crisis up", full=True)
    if record.ok:
        say(f"site      {record.pages_changed} pages built in {record.seconds:.2f} s "
            f"at {settings.site_path}")
    else:
        say(f"site      first build failed ({record.error}); see `crisis site build`")


def _sms_try_line(base: str, env: Mapping[str, str],
                  body: str = "peut on boire l'eau du robinet ?") -> str:
    """A ready-to-paste curl that sends a signed SMS, as Twilio would, to the sandbox."""
    form = {"MessageSid": "SMdemo" + secrets.token_hex(13), "From": "+33612345678",
            "To": env["TWILIO_FROM"], "Body": body}
    url = f"{base}/hooks/twilio/sms"
    signature = RequestValidator(env["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    fields = " ".join(f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in form.items())
    return f"curl -H 'X-Twilio-Signature: {signature}' {fields} {url}"


def seconds_since_start() -> float:
    """Seconds since this process started, as a user timing the command counts them
    (interpreter start and imports included: Linux's /proc); since the import of this module
    elsewhere."""
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def run_up(settings: Settings, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    prepare_data_dir(settings)
    base = f"http://{settings.host}:{settings.port}"
    if args.demo:
        env = {**env, **demo_sandbox_env(settings), "CRISIS_DEMO_WATCH": "1"}
        settings = load_settings(env)  # the channels the sandboxes stand in for are now on
    supervisor = Supervisor(env, settings.data_dir / "metrics")
    # Before anything starts: a Ctrl-C during start-up must still stop what was started.
    supervisor.install_signal_handlers()
    embedded = None if settings.redis_url else EmbeddedRedis(settings.data_dir, settings.redis_fsync)
    try:
        if embedded is not None:
            embedded.start()
            supervisor.supervise_redis(embedded)  # killed, it is started again on its AOF
            say(f"redis     embedded, {embedded.url} (data in {embedded.redis_dir})")
        url = settings.redis_url or (embedded.url if embedded else "")
        supervisor.env["REDIS_URL"] = url
        if args.demo:
            asyncio.run(_prepare_demo(settings, url, args.as_user))
        if not settings.site_path.exists():
            asyncio.run(_first_site_build(settings, url))
        reuse = ["--reuse-port"] if args.web_processes > 1 else []
        for number in range(args.web_processes):
            supervisor.add(f"web-{number + 1}", ["web", "--no-events", *reuse])
        for number in range(args.events_processes):
            supervisor.add(f"events-{number + 1}", ["worker", "--events"])
        for number in range(args.workers):
            supervisor.add(f"worker-{number + 1}", ["worker"])
        if settings.email_enabled:  # without recipients to accept, it would refuse every mail
            supervisor.add("smtp", ["smtp"])
        supervisor.start()
        say(f"web       {base}/ ({args.web_processes} process(es)); log in at {base}/login, "
            f"API {base}/api/openapi.json")
        if settings.email_enabled:
            say(f"smtp      {settings.smtp_listen} for {', '.join(sorted(settings.mail_accept))}")
        say(f"workers   {args.workers} (queues: replies, default, bulk) and "
            f"{args.events_processes} event consumer process(es) (the pipeline after each "
            f"acknowledgement)")
        if supervisor.wait_ready(f"{base}/readyz") is not None:
            say(f"ready in {seconds_since_start():.1f} s; Ctrl-C stops everything")
        if args.demo:
            asyncio.run(_prepare_demo_watch(settings, url))
            say(f"try     the web chat: {base}/chat/ ; operators answer at {base}/console/")
            say(f"try     the watch: {base}/cell/situation (log in as cell): a demo signal "
                "every 2 s, a demo feed, polls and a rumour to follow")
            if env.get("MASTODON_API_BASE", "").endswith(DEMO_MASTODON_PATH):
                say(f"        and Mastodon: the demo instance at {env['MASTODON_API_BASE']} "
                    f"(a new post every 15 s), read by the watch every {settings.mastodon_every_s} s")
            if "TWILIO_API_BASE" in env and env["TWILIO_API_BASE"].endswith("/sandbox/twilio"):
                say(f"try     an SMS (sandbox, nothing is sent): {_sms_try_line(settings.base_url, env)}")
                say(f"        the replies it would send: {base}/sandbox/sms (log in as supervisor1)")
                say("try     alerts: subscribe this number to Paris by SMS: "
                    f"{_sms_try_line(settings.base_url, env, 'ALERTE 75')}")
                say("        then publish with push (crisis publish alerte.md, front matter "
                    "'area: [75]' and 'push: true'): the alert arrives in /sandbox/sms")
                say(f"try     a phone call (simulator, real TwiML): {base}/sandbox/phone")
            if env.get("TELEGRAM_API_BASE", "").endswith("/sandbox/telegram"):
                say("try     a Telegram message (sandbox): curl -X POST "
                    f"{settings.base_url}/hooks/telegram -H 'Content-Type: application/json' "
                    f"-H 'X-Telegram-Bot-Api-Secret-Token: {env['TELEGRAM_WEBHOOK_SECRET']}' "
                    "-d '{\"update_id\": 1, \"message\": {\"message_id\": 1, \"date\": 0, "
                    "\"chat\": {\"id\": 42, \"type\": \"private\"}, \"text\": "
                    "\"peut-on boire l eau du robinet ?\"}}'")
                say(f"        the replies it would send: {base}/sandbox/telegram")
            if settings.mail_sandbox and settings.email_enabled:
                to = sorted(settings.mail_accept)[0]
                say(f"try     an e-mail: printf 'Subject: Eau\\n\\npeut-on boire l eau du robinet ?' "
                    f"| curl -s smtp://{settings.smtp_listen} --mail-from camille@example.fr "
                    f"--mail-rcpt {to} -T -")
                say(f"        the replies it would send: {base}/sandbox/mail")
        code = supervisor.run_until_stopped()
        say("stopped")
        return code
    finally:
        supervisor.stop()
        if embedded is not None:
            embedded.stop()
