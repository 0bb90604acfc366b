"""The deployment files and the operations guide stay true to the code: every
setting they use exists, every setting is documented, one worker per bundled
registry, and Compose accepts the file where Compose is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearinghouse.demo import REGISTRIES
from clearinghouse.service.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BUNDLED = {config.code for config in REGISTRIES}
SETTINGS = {f"CLEARINGHOUSE_{name.upper()}" for name in ServiceSettings.model_fields}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def used_settings(text: str) -> set[str]:
    return set(re.findall(r"\bCLEARINGHOUSE_[A-Z_]+\b", text))


def test_compose_runs_postgres_redis_api_relay_and_a_worker_per_bundled_registry() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "api", "relay"} <= set(services)
    workers = {
        s["command"][2]: name
        for name, s in services.items()
        if s.get("command", [None])[0] == "worker"
    }
    assert set(workers) == BUNDLED
    assert services["api"]["environment"]["CLEARINGHOUSE_BOOTSTRAP"] == "demo"


def test_deployment_files_use_only_real_settings() -> None:
    texts = [(DEPLOY / name).read_text() for name in ("clearinghouse.env", "docker-compose.yml")]
    texts += [p.read_text() for p in (DEPLOY / "k8s").glob("*.yaml")]
    used = set().union(*(used_settings(t) for t in texts))
    assert used and used <= SETTINGS, used - SETTINGS


def test_kubernetes_manifests_have_every_process_and_kustomize_lists_every_file() -> None:
    docs = manifests()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert {"api", "relay"} <= set(deployments)
    registries = {
        d["spec"]["template"]["spec"]["containers"][0]["args"][2]
        for name, d in deployments.items()
        if name.startswith("worker-")
    }
    assert registries == BUNDLED
    kustomization = next(d for d in docs if d["kind"] == "Kustomization")
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_the_operations_guide_documents_every_setting() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert used_settings(guide) >= SETTINGS, SETTINGS - used_settings(guide)


def test_compose_accepts_the_file() -> None:
    """`docker compose config` (or docker-compose 1.29) where Compose is installed."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        result = subprocess.run(
            [*command, "-f", str(DEPLOY / "docker-compose.yml"), "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "unknown" in result.stderr and command == ["docker", "compose"]:
            continue  # the docker CLI without its compose plugin
        assert result.returncode == 0, result.stderr
        return
    pytest.skip("neither `docker compose` nor docker-compose is installed")
