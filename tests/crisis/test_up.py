"""`crisis up --demo` end to end: embedded Redis, web, worker, demo crisis, clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from testbed.ports import free_port
from tests.support.processes import alive, children_of
from tests.support.polling import until_sync

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_until(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds it took `predicate()` to hold (tests.support.polling.until_sync)."""
    started = time.monotonic()
    until_sync(predicate, timeout=timeout)
    return time.monotonic() - started


def _stop(up: subprocess.Popen[bytes]) -> None:
    """After a failed assertion: Ctrl-C first, so the supervisor stops its embedded Redis too
    (a kill -9 leaves that server running until the next `crisis up` of the same data dir)."""
    if up.poll() is None:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(15)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()


def test_up_demo_serves_the_demo_crisis_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CRISIS_PORT": str(port),
           "CRISIS_DATA_DIR": str(tmp_path / "var"), "CRISIS_LOG_FORMAT": "json"}
    log = (tmp_path / "up.log").open("w")
    up = subprocess.Popen([sys.executable, "-m", "crisis", "up", "--demo", "--workers", "2",
                           "--events-processes", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    launched = time.monotonic()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(f"{base}/readyz")[0] == 200 if _listening(port) else False, 60)
        ready_seen = time.monotonic() - launched
        wait_until(lambda: json.loads(get(f"{base}/readyz")[1])["event_consumers"] == 2, 10)
        status, home = get(f"{base}/")
        assert status == 200 and "Crue de la Seine" in home
        # The supervisor prints its "try" lines just after /readyz first answers.
        wait_until(lambda: "/sandbox/mail" in (tmp_path / "up.log").read_text(), 10)
        output = (tmp_path / "up.log").read_text()
        assert "operator1" in output and "cell" in output  # demo passwords shown once
        # "ready in N s" counts from the command's own start, as a user timing it would:
        # not less than what this test saw (Redis, demo data and first build included).
        ready = float(re.search(r"ready in ([0-9.]+) s", output).group(1))  # type: ignore[union-attr]
        assert ready >= ready_seen - 0.5, (ready, ready_seen)
        _try_the_printed_sms(output, base, env, tmp_path)
        _the_demo_watch_moves(output, base)
        processes = children_of(up.pid)
        # redis, web, two events processes, two workers, the SMTP listener
        assert len(processes) >= 7
        started = time.monotonic()
        up.send_signal(signal.SIGINT)
        assert up.wait(10) == 0
        assert time.monotonic() - started < 10
        # Every child stopped by the supervisor itself, before it returned: none is left to
        # notice later that its parent is gone (the SMTP listener once was).
        time.sleep(0.5)
        assert [p for p in processes if alive(p)] == []
    finally:
        _stop(up)
        log.close()


def test_a_killed_run_leaves_nothing_that_blocks_the_next(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CRISIS_PORT": str(port),
           "CRISIS_DATA_DIR": str(tmp_path / "var"), "CRISIS_LOG_FORMAT": "json"}
    first = subprocess.Popen([sys.executable, "-m", "crisis", "up"], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    second = None
    try:
        wait_until(lambda: _listening(port) and get(f"{base}/readyz")[0] == 200, 60)
        orphans = children_of(first.pid)
        first.kill()  # SIGKILL: no clean-up at all
        first.wait()
        # The web and worker children notice their supervisor is gone and stop by themselves;
        # the embedded Redis is left over, with its socket: the next run must recover from it.
        redis_pid = int((tmp_path / "var" / "redis" / "redis.pid").read_text())
        wait_until(lambda: not any(alive(p) for p in orphans - {redis_pid}), 10)
        assert alive(redis_pid)
        second = subprocess.Popen([sys.executable, "-m", "crisis", "up"], env=env, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _listening(port) and get(f"{base}/readyz")[0] == 200, 60)
        second.send_signal(signal.SIGINT)
        assert second.wait(10) == 0
        wait_until(lambda: not any(alive(p) for p in orphans), 10)
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _try_the_printed_sms(output: str, base: str, env: dict[str, str], cwd: Path) -> None:
    """Run the curl `crisis up --demo` prints; the automatic answer reaches the SMS sandbox."""
    import http.cookiejar
    import json
    import re
    import shlex
    curl = next(line.split(": ", 1)[1] for line in output.splitlines()
                if "try     an SMS" in line)
    result = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=30)
    assert "<Response></Response>" in result.stdout, result
    password = re.search(r"supervisor1\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar()))
    login = urllib.request.Request(f"{base}/api/session", method="POST",
                                   data=json.dumps({"name": "supervisor1",
                                                    "password": password}).encode(),
                                   headers={"Content-Type": "application/json"})
    opener.open(login, timeout=5).read()

    def replied() -> bool:
        with opener.open(f"{base}/sandbox/sms", timeout=5) as response:
            items = json.loads(response.read())["items"]
        return any(i["to"] == "+33612345678" and "potable" in i["body"] for i in items)

    wait_until(replied, 30)

    # The Telegram and e-mail lines of the tour, through their sandboxes.
    telegram = next(line.split(": ", 1)[1] for line in output.splitlines()
                    if "try     a Telegram message" in line)
    result = subprocess.run(shlex.split(telegram), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "{}", result
    mail = next(line.split(": ", 1)[1] for line in output.splitlines()
                if "try     an e-mail" in line)
    result = subprocess.run(["bash", "-c", mail], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result

    def sandboxed(channel: str) -> list[dict[str, object]]:
        with opener.open(f"{base}/sandbox/{channel}", timeout=5) as response:
            return list(json.loads(response.read())["items"])

    wait_until(lambda: any(i["chat_id"] == "42" and "potable" in str(i["text"])
                           for i in sandboxed("telegram")), 30)
    wait_until(lambda: any(i["to"] == ["camille@example.fr"] and "potable" in str(i["text"])
                           for i in sandboxed("mail")), 30)

    # Alerts: subscribe the demo number by SMS, publish with push, the alert arrives.
    alerte = next(line.split(": ", 2)[2] for line in output.splitlines()
                  if "try     alerts" in line)
    result = subprocess.run(shlex.split(alerte), capture_output=True, text=True, timeout=30)
    assert "<Response></Response>" in result.stdout, result
    wait_until(lambda: any("Alertes activées pour : 75" in str(i["body"])
                           for i in sandboxed("sms")), 30)
    notice = Path(tempfile.mkdtemp()) / "alerte.md"
    notice.write_text("---\ntitle: Quais fermés\narea: [75]\npush: true\n"
                      "sms: Les quais de Seine sont fermés.\n---\nLes quais sont fermés.\n")
    publish = subprocess.run([sys.executable, "-m", "crisis", "publish", str(notice)],
                             env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert publish.returncode == 0, publish
    wait_until(lambda: any(str(i["body"]).startswith("Les quais de Seine sont fermés.")
                           for i in sandboxed("sms")), 60)


def _the_demo_watch_moves(output: str, base: str) -> None:
    """The demo's watch, out of the box: signals played and analysed, the demo feed read by
    a worker (healthy, its entries counted), polls and the demo rumour in /api/situation."""
    import http.cookiejar
    assert "try     the watch:" in output
    password = re.search(r"supervisor1\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar()))
    login = urllib.request.Request(f"{base}/api/session", method="POST",
                                   data=json.dumps({"name": "supervisor1",
                                                    "password": password}).encode(),
                                   headers={"Content-Type": "application/json"})
    opener.open(login, timeout=5).read()

    def watch() -> dict[str, object]:
        with opener.open(f"{base}/api/situation", timeout=5) as response:
            return dict(json.loads(response.read())["watch"])

    def moving() -> bool:
        section = watch()
        intake = dict(section["intake"])  # type: ignore[call-overload]
        feeds = list(section["feeds"])  # type: ignore[call-overload]
        return (int(intake["normalised"]) >= 3 and bool(feeds)
                and feeds[0]["health"] == "ok" and int(feeds[0]["entries"]) == 5)

    wait_until(moving, 30)
    section = watch()
    assert section["polls"] and section["rumours"]
    # Mastodon, from the demo's own instance: read through Mastodon.py by a worker, at once
    # with the demo crisis's keywords (their loading starts a run; not the next one, 30 s on).
    assert "and Mastodon: the demo instance at" in output
    wait_until(lambda: (watch().get("mastodon") or {}).get("statuses", 0) >= 12, 75)
    assert dict(watch()["mastodon"])["health"] == "ok"  # type: ignore[call-overload]
    first = int(dict(section["intake"])["received"])  # type: ignore[call-overload]
    wait_until(lambda: int(dict(watch()["intake"])["received"]) > first, 10)  # type: ignore[call-overload]
