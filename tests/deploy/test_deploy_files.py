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


@pytest.mark.parametrize("config", ["prometheus.yml", "kubernetes.yml"])
def test_the_scrape_configuration_is_valid(tmp_path: Path, config: str) -> None:
    promtool = _tool("promtool", "prometheus")
    for name in (config, "crisis.rules.yml"):
        shutil.copy(PROMETHEUS / name, tmp_path / name)
    (tmp_path / "crisis-metrics-token").write_text("token\n")
    checked = _run(promtool, "check", "config", config, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_worker_and_events_processes_are_scraped_on_their_metrics_port() -> None:
    """CRISIS_METRICS_PORT: the same port in the ConfigMap, the pods' annotations and
    container ports, the network policy, compose and the static scrape jobs."""
    import yaml

    kubernetes = ROOT / "deploy" / "kubernetes"
    documents = [doc for path in sorted(kubernetes.glob("*.yaml"))
                 for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    port = int(config["CRISIS_METRICS_PORT"])
    for name in ("worker", "events"):
        pod = next(d for d in documents if d["kind"] == "Deployment"
                   and d["metadata"]["name"] == name)["spec"]["template"]
        ports = pod["spec"]["containers"][0]["ports"]
        assert {"name": "metrics", "containerPort": port} in ports, name
        # Prometheus finds each pod through a headless Service's DNS records.
        service = next(d for d in documents if d["kind"] == "Service"
                       and d["metadata"]["name"] == f"{name}-pods")["spec"]
        assert service["clusterIP"] == "None"
        assert service["selector"] == {"app.kubernetes.io/name": f"crisis-{name}"}
        assert service["ports"] == [{"name": "metrics", "port": port, "targetPort": "metrics"}]
    policy = next(d for d in documents if d["kind"] == "NetworkPolicy"
                  and d["metadata"]["name"] == "metrics-from-prometheus")
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": port}]
    assert set(policy["spec"]["podSelector"]["matchExpressions"][0]["values"]) == {
        "crisis-worker", "crisis-events"}
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    for name in ("worker", "events"):
        service = compose["services"][name]
        assert int(service["environment"]["CRISIS_METRICS_PORT"]) == port, name
        assert service["environment"]["REDIS_URL"], name  # the anchor's, not lost
        assert service["expose"] == [str(port)], name
    for config, host in (("prometheus.yml", "{}"),
                         ("kubernetes.yml", "{}-pods.crisis.svc.cluster.local")):
        scrape = yaml.safe_load((PROMETHEUS / config).read_text())["scrape_configs"]
        jobs = {job["job_name"]: job for job in scrape}
        for name in ("worker", "events"):
            job = jobs[f"crisis-{name}"]
            assert job["dns_sd_configs"] == [
                {"names": [host.format(name)], "type": "A", "port": port}], config
            assert job["authorization"]["type"] == "Bearer", config


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
                 "crisis-events@1.service", "crisis-worker@1.service",
                 "crisis-audit-archive.service", "crisis-audit-archive.timer"]
    verified = _run(analyze, "verify", "--man=no", *instances, cwd=tmp_path)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    for unit in [u for u in instances[2:] if u.endswith(".service")]:
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
