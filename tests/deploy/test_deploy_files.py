"""The shipped deployment files are checked by the tools that will read them: promtool for
the Prometheus configuration and alert rules (with rule unit tests), systemd-analyze for the
units. A rule written against a metric the centre does not export would never fire: every
metric a rule names must be defined in the centre's code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
SYSTEMD = ROOT / "deploy" / "systemd"
RUNTIME_PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is required (apt-get install {package}); .ci/run installs it"
    return path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    promtool = _tool("promtool", "prometheus")
    checked = _run(promtool, "check", "rules", "crisis.rules.yml", cwd=PROMETHEUS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _run(promtool, "test", "rules", "crisis.rules.test.yml", cwd=PROMETHEUS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_configuration_is_valid(tmp_path: Path) -> None:
    promtool = _tool("promtool", "prometheus")
    for name in ("prometheus.yml", "crisis.rules.yml"):
        shutil.copy(PROMETHEUS / name, tmp_path / name)
    (tmp_path / "crisis-metrics-token").write_text("token\n")
    checked = _run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_metric_a_rule_reads_is_exported_by_the_centre() -> None:
    rules = (PROMETHEUS / "crisis.rules.yml").read_text(encoding="utf-8")
    used = {name for expr in re.findall(r"expr: (.+)", rules)
            for name in re.findall(r"\bcrisis_\w+", expr)}
    source = "\n".join(path.read_text(encoding="utf-8") for package in RUNTIME_PACKAGES
                       for path in (ROOT / package).rglob("*.py"))
    defined = set(re.findall(r"\"(crisis_\w+)\"", source))
    assert used and used <= defined, f"rules read metrics nobody exports: {used - defined}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="systemd is Linux-only")
def test_systemd_units_verify_cleanly_and_are_hardened(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze", "systemd")
    crisis = Path(sys.executable).with_name("crisis")  # ExecStart must name a real file
    for unit in SYSTEMD.iterdir():
        text = unit.read_text(encoding="utf-8").replace("/opt/crisis/venv/bin/crisis", str(crisis))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    instances = ["crisis.target", "crisis-prepare.service", "crisis-web@1.service",
                 "crisis-events@1.service", "crisis-worker@1.service"]
    verified = _run(analyze, "verify", "--man=no", *instances, cwd=tmp_path)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    for unit in instances[2:]:
        security = _run(analyze, "security", "--offline=true", unit, cwd=tmp_path)
        exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
        assert exposure and float(exposure.group(1)) <= 3.0, security.stdout[-400:]


def test_dashboards_query_valid_promql_on_exported_metrics(tmp_path: Path) -> None:
    """Each panel's query parses (promtool checks it as a recording rule) and reads metrics
    the centre exports, so no panel stays empty for a typo."""
    promtool = _tool("promtool", "prometheus")
    exprs = []
    for dashboard in sorted((ROOT / "deploy" / "grafana").glob("*.json")):
        document = json.loads(dashboard.read_text(encoding="utf-8"))
        exprs += [target["expr"] for panel in document["panels"] for target in panel["targets"]]
    assert len(exprs) >= 10
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:expr{i}", "expr": expr} for i, expr in enumerate(exprs)]}]}
    (tmp_path / "dashboards.rules.yml").write_text(json.dumps(rules), encoding="utf-8")
    checked = _run(promtool, "check", "rules", "dashboards.rules.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    source = "\n".join(path.read_text(encoding="utf-8") for package in RUNTIME_PACKAGES
                       for path in (ROOT / package).rglob("*.py"))
    defined = set(re.findall(r"\"(crisis_\w+)\"", source))
    used = {re.sub(r"_(bucket|sum|count)$", "", name)
            for expr in exprs for name in re.findall(r"\bcrisis_\w+", expr)}
    assert used <= defined, f"panels read metrics nobody exports: {used - defined}"
