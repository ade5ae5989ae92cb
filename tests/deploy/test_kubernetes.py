"""deploy/kubernetes: every manifest validated by kubernetes-validate (the upstream schemas of
each Kubernetes release, strict: an unknown field is an error) against the newest release it
knows and an older one still supported, and what the set-up promises: probes on /readyz and
/healthz, non-root read-only containers, a spool volume per web pod, autoscaling and
disruption budgets, only the web pods open to the ingress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
VERSIONS = (kubernetes_validate.latest_version(), "1.31.0")
PROCESSES = {"web": ["web", "--no-events"], "events": ["worker", "--events"],
             "worker": ["worker"], "smtp": ["smtp"]}


def _documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(MANIFESTS.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _find(kind: str, name: str) -> dict[str, Any]:
    return next(d for d in _documents() if d["kind"] == kind and d["metadata"]["name"] == name)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid(version: str) -> None:
    documents = _documents()
    assert len(documents) >= 20
    for document in documents:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{document['kind']}/{document['metadata']['name']}: {err.message}")


def test_the_validation_can_fail() -> None:
    web = _find("StatefulSet", "web")
    web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, VERSIONS[0], strict=True)


def _workload(name: str) -> dict[str, Any]:
    kinds = ("StatefulSet", "Deployment")
    return next(d for d in _documents() if d["kind"] in kinds and d["metadata"]["name"] == name)


def test_each_process_runs_unprivileged_on_a_read_only_root() -> None:
    for name, args in PROCESSES.items():
        spec = _workload(name)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
        main = spec["containers"][0]
        assert main["args"] == args, name
        assert main["resources"]["requests"] and main["resources"]["limits"]["memory"], name


def test_web_pods_probe_readiness_and_liveness_and_keep_their_spool() -> None:
    web = _workload("web")
    assert web["kind"] == "StatefulSet"
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    claims = {c["metadata"]["name"] for c in web["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    config = _find("ConfigMap", "crisis-config")["data"]
    assert "data" in claims and mounts["data"] == config["CRISIS_DATA_DIR"]  # spool/ lives there


def test_autoscaling_and_disruption_budgets() -> None:
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in _documents()
              if d["kind"] == "HorizontalPodAutoscaler"}
    assert scaled == {"web", "worker"}
    budgets = {d["metadata"]["name"] for d in _documents() if d["kind"] == "PodDisruptionBudget"}
    assert {"web", "events", "worker"} <= budgets


def test_only_web_pods_take_traffic_from_the_ingress() -> None:
    policies = [d for d in _documents() if d["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["spec"]["podSelector"] == {})
    assert "ingress" not in deny["spec"] and deny["spec"]["policyTypes"] == ["Ingress"]
    from_ingress = [p for p in policies for rule in p["spec"].get("ingress", [])
                    for peer in rule["from"]
                    if peer.get("namespaceSelector", {}).get("matchLabels", {}).get(
                        "kubernetes.io/metadata.name") == "ingress-nginx"]
    assert [p["spec"]["podSelector"]["matchLabels"] for p in from_ingress] == [
        {"app.kubernetes.io/name": "crisis-web"}]
    redis = next(p for p in policies if p["spec"]["podSelector"].get("matchLabels", {}).get(
        "app.kubernetes.io/name") == "redis")
    allowed = redis["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert set(allowed) == {f"crisis-{name}" for name in [*PROCESSES, "audit-archive"]}
    ingress = _find("Ingress", "crisis")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
    assert _find("Service", backend)["spec"]["selector"] == {"app.kubernetes.io/name": "crisis-web"}


def test_the_audit_trail_is_archived_every_hour_to_a_volume_of_its_own() -> None:
    job = _find("CronJob", "audit-archive")["spec"]
    assert job["schedule"].split()[1:] == ["*"] * 4 and job["concurrencyPolicy"] == "Forbid"
    spec = job["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    container = spec["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["args"][:2] == ["audit", "archive"]
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in spec["volumes"]}
    assert claims[mounted[container["args"][2]]] == "crisis-audit"
