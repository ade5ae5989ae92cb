"""deploy/compose: compose.yaml against the official Compose Specification schema (docker is not
on the test machines), what the single-host set-up promises (Redis AOF on a volume, two web
replicas behind nginx, health checks), the Dockerfile's rules, and the .env example naming
only real settings."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose"
SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))
    return document


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(_compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_mistake() -> None:
    """The check above can fail: a misspelt key is refused by the shipped schema."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["web"]["healthchek"] = broken["services"]["web"].pop("healthcheck")
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_one_host_layout() -> None:
    services = _compose()["services"]
    redis = services["redis"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(str(v).endswith(":/data") for v in redis["volumes"])
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    commands = {name: service.get("command") for name, service in services.items()}
    assert commands["web"] == ["web", "--no-events"]
    assert commands["events"] == ["worker", "--events"]
    assert commands["worker"] == ["worker"] and commands["smtp"] == ["smtp"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["nginx"]["healthcheck"]["test"])
    for name in ("web", "events", "worker", "smtp"):
        assert services[name]["read_only"] is True and services[name]["cap_drop"] == ["ALL"]
    # The centre believes X-Forwarded-For from nginx's fixed address only.
    nginx_address = services["nginx"]["networks"]["centre"]["ipv4_address"]
    assert services["web"]["environment"]["CRISIS_TRUSTED_PROXIES"] == nginx_address


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines if line and not line.startswith("#")]


def test_dockerfile_pins_its_base_runs_unprivileged_and_checks_health() -> None:
    steps = _instructions((COMPOSE / "Dockerfile").read_text(encoding="utf-8"))
    bases = [args.split()[0] for op, args in steps if op == "FROM"]
    assert bases and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", b) for b in bases), bases
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(op == "HEALTHCHECK" and "/healthz" in args for op, args in steps)
    entry = json.loads(next(args for op, args in steps if op == "ENTRYPOINT"))
    assert entry[-1] == "crisis"
    # What the build copies is what the package needs: every package of pyproject's list.
    copied = {shlex.split(args)[0] for op, args in steps if op == "COPY" and "--from" not in args}
    for package in ("crisis", "channels", "knowledge_base", "static_site", "monitoring"):
        assert package in copied, package


def test_env_example_names_only_documented_settings() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`",
                                (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")))
    compose_only = {"CRISIS_VERSION", "CRISIS_HTTP_PORT", "REDIS_MAXMEMORY"}
    names = {line.split("=", 1)[0] for line in (COMPOSE / ".env.example").read_text().splitlines()
             if line and not line.startswith("#")}
    assert names - compose_only <= documented, names - compose_only - documented
    # Every ${VARIABLE} compose.yaml interpolates is in the example.
    used = set(re.findall(r"\$\{([A-Z_]+)", (COMPOSE / "compose.yaml").read_text()))
    assert used <= names, used - names
