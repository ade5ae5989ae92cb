"""CRISIS_METRICS_PORT: `crisis worker` and `crisis worker --events`, alone in their container,
serve their own /metrics, under the web's access rule (bearer token, else loopback only).
Real processes, real jobs and events, scraped over HTTP."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crisis.context import Context
from crisis.errors import ConfigError
from crisis.events import make_event
from crisis.metrics_port import start_metrics_port
from crisis.settings import load_settings
from crisis.supervisor import Supervisor
from crisis.types import EventType
from testbed.ports import free_port, wait_listening
from tests.support.polling import until

TOKEN = "scrape-the-worker-please"


def _get(url: str, token: str | None = None) -> tuple[int, str, str]:
    """(status, body, Server header) of a GET; refusals are answers, not exceptions."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, r.read().decode(), r.headers.get("Server", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Server", "")


def _value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples `name` with these labels (0 when there is none)."""
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


@pytest.fixture
def process_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    samples = tmp_path / "metrics"  # what a container's fresh tmpfs would be
    samples.mkdir(mode=0o700)
    return {**env, "PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(samples),
            "CRISIS_METRICS_PORT": str(free_port())}


def _start(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[bytes]]:
    log = Path(env["CRISIS_DATA_DIR"]).with_name("process.log")
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "crisis", "worker", *args], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_listening(int(env["CRISIS_METRICS_PORT"]), timeout=60)
        yield process
    except BaseException:
        print(log.read_text(errors="replace")[-3000:])  # shown with the failure
        raise
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (a scraper from elsewhere), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_the_worker_counts_its_jobs_for_the_bearer_of_the_token(
        ctx: Context, process_env: dict[str, str]) -> None:
    env = {**process_env, "CRISIS_METRICS_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{env['CRISIS_METRICS_PORT']}/metrics"
    for _ in _start(env):
        assert (await asyncio.to_thread(_get, url))[0] == 401  # loopback is no excuse
        assert (await asyncio.to_thread(_get, url, "not-the-token"))[0] == 401
        status, before, server = await asyncio.to_thread(_get, url, TOKEN)
        assert status == 200 and _value(before, "crisis_jobs_total") == 0
        assert server == "crisis-centre", server  # no software or version banner
        # Forked work horses (default) and the in-process reply queue both reach the count.
        ctx.jobs.enqueue("os.getpid")
        ctx.jobs.enqueue("os.getpid")
        ctx.jobs.enqueue("math.sqrt", -1, retries=0)  # ValueError: a failed job
        ctx.jobs.enqueue("os.getpid", queue="replies")

        async def counted() -> str:
            return (await asyncio.to_thread(_get, url, TOKEN))[1]

        def all_four(text: str) -> bool:
            return _value(text, "crisis_jobs_total") >= 4
        text = await until(counted, timeout=60, ok=all_four, every=0.2)
        assert _value(text, "crisis_jobs_total", queue="default", outcome="done") == 2
        assert _value(text, "crisis_jobs_total", queue="default", outcome="failed") == 1
        assert _value(text, "crisis_jobs_total", queue="replies", outcome="done") == 1
        assert (await asyncio.to_thread(_get, url.replace("/metrics", "/"), TOKEN))[0] == 404


async def test_the_events_process_shows_its_metrics_to_this_machine_only(
        ctx: Context, process_env: dict[str, str]) -> None:
    env = {**process_env, "CRISIS_HOST": "0.0.0.0"}  # as in a container; no token
    port = env["CRISIS_METRICS_PORT"]
    url = f"http://127.0.0.1:{port}/metrics"
    for _ in _start(env, "--events"):
        await ctx.bus.publish(make_event(EventType.CRISIS_CLOSED, actor="test",
                                           subject="crisis-that-never-was"))

        async def handled() -> float:
            status, text, _ = await asyncio.to_thread(_get, url)
            assert status == 200, text
            return _value(text, "crisis_events_handled_total", group="watch-keywords",
                          type=str(EventType.CRISIS_CLOSED))
        assert await until(handled, timeout=60, every=0.2) == 1
        text = (await asyncio.to_thread(_get, url))[1]
        # The centre-wide gauges read from Redis stay on the web's /metrics: scraped here
        # too, every events pod would add its own copy of the same lag.
        assert "crisis_events_lag_seconds" not in text
        outside = _outside_address()
        if outside is not None:  # a scraper on another machine, without the token
            status, body, _ = await asyncio.to_thread(_get, f"http://{outside}:{port}/metrics")
            assert status == 403 and "CRISIS_METRICS_TOKEN" in body


def test_the_setting_is_off_by_default_and_checked() -> None:
    assert load_settings({}).metrics_port is None
    assert start_metrics_port(load_settings({})) is None
    assert load_settings({"CRISIS_METRICS_PORT": "9102"}).metrics_port == 9102
    for bad in ("0", "70000", "nine"):
        with pytest.raises(ConfigError, match="CRISIS_METRICS_PORT"):
            load_settings({"CRISIS_METRICS_PORT": bad})


def test_a_port_already_taken_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"CRISIS_METRICS_PORT={port}: cannot listen"):
            start_metrics_port(load_settings({"CRISIS_METRICS_PORT": str(port)}))


def test_crisis_up_keeps_the_port_from_its_children(tmp_path: Path) -> None:
    # Several workers of one machine would fight for it; the web's /metrics has them all.
    supervisor = Supervisor({"CRISIS_METRICS_PORT": "9102", "REDIS_URL": "redis://x"},
                            tmp_path / "metrics")
    assert "CRISIS_METRICS_PORT" not in supervisor.env and "REDIS_URL" in supervisor.env
