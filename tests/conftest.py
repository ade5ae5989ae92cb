"""Shared fixtures: a real Redis (embedded by default, REDIS_URL when set), settings, the app.

Each test gets its own key prefix on that server and its keys are deleted afterwards, so
tests may run against the machine's shared Redis (REDIS_URL=redis://127.0.0.1:6379/0).

The suite runs on pytest-xdist (pyproject's addopts). Each worker is a test session of its
own: its own embedded Redis (or REDIS_URL's server, shared, the tests kept apart by their
prefixes), its own --basetemp, Chromium (tests/support/browser.py) and band of loopback ports
(testbed/ports.py). Tests that must not run beside one another are in XDIST_GROUPS below.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from crisis.context import Context, open_context
from crisis.redis_server import EmbeddedRedis
from crisis.settings import Settings, load_settings
from crisis.types import Principal, Role
from knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
CELL = Principal("cell-tester", Role.CELL, "test")
ADMIN = Principal("admin-tester", Role.ADMIN, "test")
SUPERVISOR = Principal("supervisor-tester", Role.SUPERVISOR, "test")
OPERATOR = Principal("operator-tester", Role.OPERATOR, "test")


# At most this many pytest-xdist workers for `-n auto` (pyproject's addopts): each worker
# has its own embedded Redis and Chromium, and the fault tests' processes; more than a few
# would cost a large CI machine memory rather than save time. PYTEST_XDIST_AUTO_NUM_WORKERS
# still chooses any number.
MAX_AUTO_WORKERS = 4


def pytest_configure(config: pytest.Config) -> None:
    # Temporary files under the project, not /tmp: on these machines /tmp creates files about
    # ten times slower, and the site tests write thousands of them. Cleaned at each run.
    # Numbered run directories (pytest-of-user/pytest-N) keep concurrent runs apart.
    # pytest-xdist gives each worker a --basetemp of its own under the controller's run
    # directory (pytest-N/popen-gwN): the worker's other temporary files go under the project too.
    if not config.option.basetemp or os.environ.get("PYTEST_XDIST_WORKER"):
        (ROOT / ".pytest_tmp").mkdir(exist_ok=True)
        tempfile.tempdir = str(ROOT / ".pytest_tmp")


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hooks: without it (-p no:xdist) unused
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, MAX_AUTO_WORKERS)


# Tests run one at a time on one pytest-xdist worker, by group (the start of their node ids).
XDIST_GROUPS = {
    # Each starts Redis servers, a centre's processes and traffic, and its deadlines assume it
    # does not share two cores with another of them; the other workers run the rest meanwhile.
    "tests/faults/": "faults",
    # These empty the server's whole script cache (SCRIPT FLUSH) and count the loads that
    # follow: with REDIS_URL (one server for every worker) one's flush would land in another.
    "tests/channels/test_pipelined_script.py": "script-cache",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup (pyproject's addopts), with XDIST_GROUPS as groups.

    The groups are given here rather than by `xdist_group` marks: pytest-xdist 3.8 tells the
    groups by a suffix it writes into each test's node id, which pytest 9.2 no longer keeps
    (pytest-dev/pytest-xdist#1386: the marks are silently ignored)."""
    if config.getvalue("dist") != "loadgroup":
        return None  # another --dist on the command line: pytest-xdist's own scheduler
    from xdist.scheduler import LoadGroupScheduling

    class Grouped(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for start, group in XDIST_GROUPS.items():
                if nodeid.startswith(start):
                    return group
            return super()._split_scope(nodeid)

    return Grouped(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.support.browser import stop_shared_chromium
    stop_shared_chromium()


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Put the root logger back after each test: a test running the CLI in-process sets its
    handler on the stream pytest captured for that test, which is closed afterwards, and every
    later log line then printed a "Logging error" traceback (seen in CI)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server every test uses: REDIS_URL if the environment names one, else embedded."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys (and its RQ queues) are removed after."""
    value = f"t{uuid.uuid4().hex[:10]}:"
    yield value
    client = redis.Redis.from_url(redis_url)
    try:
        for pattern in (f"{value}*", f"rq:*{value.rstrip(':')}*"):
            keys = list(client.scan_iter(pattern, count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def env(tmp_path: Path, prefix: str, redis_url: str) -> dict[str, str]:
    """The environment of a centre under test (a mapping: settings never read os.environ)."""
    return {
        "CRISIS_DATA_DIR": str(tmp_path / "var"),
        "CRISIS_REDIS_PREFIX": prefix,
        "REDIS_URL": redis_url,
        "CRISIS_SECRET_KEY": "test-secret-key-not-for-production",
        "CRISIS_LOG_FORMAT": "text",
        # Embeddings cost seconds of CPU per ten articles in every app under test: they are
        # turned on only by the tests about them (tests/knowledge_base/test_semantic.py).
        "CRISIS_KB_SEMANTIC": "0",
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


@pytest.fixture
async def ctx(settings: Settings, redis_url: str) -> AsyncIterator[Context]:
    context = open_context(settings, redis_url)
    yield context
    await context.close()


@pytest.fixture
def knowledge(ctx: Context) -> KnowledgeBase:
    """A knowledge base over the test's Redis (an app under test builds its own over the same
    data, as another process would)."""
    return KnowledgeBase.from_context(ctx)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, redis_url: str) -> Any:
    """An aiohttp test client over the whole application (real HTTP on loopback)."""
    from crisis.app import build_app
    return await aiohttp_client(build_app(settings, redis_url))


async def login(client: Any, ctx: Context, name: str, role: Role) -> dict[str, str]:
    """Create an account and log in through the API; returns headers carrying the CSRF token."""
    password = "correct horse battery staple"
    await ctx.accounts.create_account(name, role, password, actor=ADMIN)
    response = await client.post("/api/session", json={"name": name, "password": password})
    assert response.status == 200, await response.text()
    return {"X-CSRF-Token": (await response.json())["csrf"]}


async def bearer(ctx: Context, name: str, role: Role) -> dict[str, str]:
    """Headers of an API token acting as `name` (for apps whose cookies are https-only)."""
    token = await ctx.accounts.create_token(name, role, actor=ADMIN)
    return {"Authorization": f"Bearer {token}"}
