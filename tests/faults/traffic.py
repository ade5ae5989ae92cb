"""What the fault tests share: a centre of real processes on a given Redis URL, a stream of
signed SMS sent as Twilio would (retrying a 503 after Retry-After), and the count of what
was acknowledged, stored and answered afterwards."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import sys
from pathlib import Path
from typing import BinaryIO

import aiohttp
import redis.asyncio as aioredis

from channels.keys import ChannelKeys
from crisis.keys import Keys
from crisis.redis_client import async_redis
from testbed.ports import free_port
from tests.channels.conftest import ACCOUNT, AUTH_TOKEN, PUBLIC_URL, signed, sms_form
from tests.support.polling import until

RETRY_PAUSE_S = 0.2  # the provider's Retry-After, shortened so a test stays short
MAX_TRIES = 40


@dataclasses.dataclass
class Tally:
    acknowledged: set[str] = dataclasses.field(default_factory=set)
    statuses: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    connection_errors: int = 0
    given_up: set[str] = dataclasses.field(default_factory=set)


class Centre:
    """`crisis web --no-events`, `crisis worker --events` and `crisis worker`, their logs in
    files (read by the test to tell a crash from a reconnection)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.port = free_port()
        self.env = {**env, "CRISIS_PORT": str(self.port), "PATH": "/usr/bin:/bin"}
        self.logs = logs
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._log_files: list[BinaryIO] = []
        self.base = f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name, args in (("web", ["web", "--no-events"]), ("events", ["worker", "--events"]),
                           ("worker", ["worker"])):
            log = (self.logs / f"{name}.log").open("wb")
            self._log_files.append(log)
            self.processes[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crisis", *args, env=self.env,
                stdout=log, stderr=log)
        async with aiohttp.ClientSession() as http:
            async def ready() -> bool:
                try:
                    async with http.get(f"{self.base}/readyz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False
            await until(ready, 40)

    def alive(self) -> dict[str, bool]:
        return {name: p.returncode is None for name, p in self.processes.items()}

    def log_text(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    async def stop(self) -> list[str]:
        """SIGTERM to each process; returns the names of those that had not stopped 20 s
        later and were killed."""
        killed: list[str] = []
        for process in self.processes.values():
            if process.returncode is None:
                process.terminate()
        for name, process in self.processes.items():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                killed.append(name)
                process.kill()
                await process.wait()
        for log in self._log_files:
            log.close()
        return killed


def centre_env(redis_url: str, prefix: str, data_dir: Path, twilio_base: str,
               **extra: str) -> dict[str, str]:
    return {"CRISIS_DATA_DIR": str(data_dir), "CRISIS_REDIS_PREFIX": prefix,
            "REDIS_URL": redis_url, "CRISIS_SECRET_KEY": "test-secret-key-not-for-production",
            "CRISIS_LOG_FORMAT": "text", "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": "+33700000000",
            "TWILIO_API_BASE": twilio_base, "CRISIS_PUBLIC_URL": PUBLIC_URL, **extra}


def citizen(number: int) -> str:
    return f"+3362{number:07d}"


async def send_stream(base: str, first: int, count: int, tally: Tally, *,
                      concurrency: int = 8, stop: asyncio.Event | None = None) -> int:
    """Send SMS `first`..`first+count-1`, each from its own citizen, `concurrency` at a time;
    each retried on 503 or a refused connection as a provider would. Returns how many were
    sent (fewer when `stop` is set first)."""
    numbers = iter(range(first, first + count))
    sent = 0

    async def one(http: aiohttp.ClientSession, number: int) -> None:
        sid = f"SMflt{number:08d}"
        headers, form = signed("/hooks/twilio/sms", sms_form("bonjour", sid, citizen(number)))
        for _ in range(MAX_TRIES):
            try:
                async with http.post(f"{base}/hooks/twilio/sms", data=form,
                                     headers=headers) as response:
                    tally.statuses[response.status] += 1
                    if response.status == 200:
                        tally.acknowledged.add(sid)
                        return
                    assert response.status != 500, await response.text()
            except (aiohttp.ClientError, TimeoutError):
                tally.connection_errors += 1
            await asyncio.sleep(RETRY_PAUSE_S)
        tally.given_up.add(sid)

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal sent
        for number in numbers:
            if stop is not None and stop.is_set():
                return
            sent += 1
            await one(http, number)

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(sender(http) for _ in range(concurrency)))
    return sent


@dataclasses.dataclass
class Stored:
    provider_ids: set[str]
    replies_per_conversation: list[int]
    # The replies' delivery statuses (sent; failed, e.g. caught in a provider call by a kill)
    reply_statuses: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter)

    @property
    def answered_twice(self) -> int:
        return sum(1 for n in self.replies_per_conversation if n > 1)

    @property
    def unanswered(self) -> int:
        return sum(1 for n in self.replies_per_conversation if n == 0)


async def stored(redis_url: str, prefix: str) -> Stored:
    """Every inbound message's provider id in Redis, and the replies of each conversation
    (`redis_url`: a plain URL of the server to read, e.g. the current primary)."""
    client: aioredis.Redis = async_redis(redis_url)
    keys = ChannelKeys(Keys(prefix))
    try:
        ids = [str(i) for i in await client.zrange(keys.conversations, 0, -1)]
        found: set[str] = set()
        replies: list[int] = []
        statuses: collections.Counter[str] = collections.Counter()
        for conversation_id in ids:
            messages = [json.loads(raw) for raw in
                        await client.lrange(keys.messages(conversation_id), 0, -1)]
            found.update(m.get("provider_id", "") for m in messages
                         if m["author"] == "citizen")
            replies.append(sum(1 for m in messages if m["author"] != "citizen"))
            statuses.update(str(m.get("status", "")) for m in messages
                            if m["author"] != "citizen")
        return Stored(found, replies, statuses)
    finally:
        await client.aclose()


async def nothing_lost(centre: Centre, redis_url: str, prefix: str, tally: Tally, sent: int,
                       *, label: str, after_count: int, note: str = "") -> None:
    """After a fault: new messages are taken at once, every message acknowledged during the
    stream ends up stored (the spool replays what came while Redis was down), nothing was
    answered 500, and no process quit. Prints the figures docs/operations.md reports."""
    after = Tally()
    await send_stream(centre.base, sent + 1000, after_count, after, concurrency=4)
    assert len(after.acknowledged) == after_count and after.statuses[503] == 0, after

    async def all_answered() -> bool:
        kept = await stored(redis_url, prefix)
        return kept.unanswered == 0 and after.acknowledged <= kept.provider_ids \
            and tally.acknowledged <= kept.provider_ids
    await until(all_answered, 60)
    kept = await stored(redis_url, prefix)
    lost = tally.acknowledged - kept.provider_ids
    print(f"\n{label}: sent {sent}, acknowledged {len(tally.acknowledged)}, "
          f"present {len(tally.acknowledged & kept.provider_ids)}, lost {len(lost)}, "
          f"statuses {dict(tally.statuses)}, connection errors {tally.connection_errors}, "
          f"answered twice {kept.answered_twice}{note}")
    assert not lost, sorted(lost)[:5]
    assert 500 not in tally.statuses and not tally.given_up
    assert all(centre.alive().values()), centre.alive()
    for name in ("web", "events", "worker"):
        assert "quitting" not in centre.log_text(name), name
