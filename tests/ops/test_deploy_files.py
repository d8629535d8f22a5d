"""The container and cluster files, checked offline with the tools' own validators: kustomize
renders the manifests (kubectl), promtool accepts both Prometheus configurations, podman-compose
resolves the compose file; and every service has health and readiness probes. (The images are
built and the compose platform run by `make compose-test`: tests/ops/test_compose.py.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tutti.prometheus import ALERT_RULES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PLATFORM = {"chain", "ipfs", "postgres", "indexer", "indexer-api", "oracle", "media", "web", "prometheus"}


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    rendered = subprocess.run(["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def workloads(manifests: list[dict]) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] in ("Deployment", "StatefulSet")}


def test_the_manifests_run_the_whole_platform_with_probes_on_every_container(manifests):
    found = workloads(manifests)
    assert set(found) == PLATFORM
    assert found["indexer-api"]["spec"]["replicas"] == 2 and found["oracle"]["spec"]["replicas"] == 3
    for name, workload in found.items():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, f"{name}/{container['name']}"
    http_ready = {name: c["readinessProbe"].get("httpGet", {}).get("path")
                  for name, w in found.items() for c in w["spec"]["template"]["spec"]["containers"]}
    assert http_ready["indexer-api"] == http_ready["oracle"] == http_ready["media"] == "/readyz"
    assert all(m["metadata"].get("namespace") == "tutti" for m in manifests if m["kind"] != "Namespace")


def test_every_referenced_config_map_service_and_claim_exists(manifests):
    names = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    for workload in workloads(manifests).values():
        spec = workload["spec"]["template"]["spec"]
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in names
            assert not container["image"].startswith("tutti"), "kustomize's images: rewrite was not applied"
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in names
    for service in ("chain", "ipfs", "postgres", "indexer-api", "oracle", "media", "web", "prometheus"):
        assert ("Service", service) in names


@pytest.mark.parametrize("config", ["prometheus/prometheus.yml", "k8s/prometheus.yml"])
def test_both_prometheus_configurations_pass_promtool(config, tmp_path):
    if shutil.which("promtool") is None:
        pytest.skip("Debian's prometheus is not installed")
    shutil.copy(DEPLOY / config, tmp_path / "prometheus.yml")  # laid out as mounted: the rules beside it
    shutil.copy(ALERT_RULES, tmp_path / "alerts.yml")
    checked = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_compose_file_runs_the_whole_platform_with_health_checks():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"chain", "deploy", "ipfs", "postgres", "indexer", "indexer-api-1", "indexer-api-2",
            "oracle-1", "oracle-2", "oracle-3", "media", "web", "prometheus"} == set(services)
    for name, service in services.items():
        if name != "deploy":  # a one-shot job
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    accounts = {s["command"][s["command"].index("--account") + 1] for n, s in services.items() if n.startswith("oracle")}
    assert accounts == {"TEST::7", "TEST::8", "TEST::9"}
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert published and all(p.startswith("127.0.0.1:") for p in published)  # nothing beyond loopback


def test_podman_compose_resolves_the_file():
    if shutil.which("podman-compose") is None:
        pytest.skip("podman-compose is not installed")
    resolved = subprocess.run(["podman-compose", "-f", str(DEPLOY / "compose.yaml"), "--dry-run", "up", "-d"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    for image in ("localhost/tutti:latest", "localhost/tutti-dev:latest", "localhost/tutti-postgres:latest",
                  "localhost/tutti-prometheus:latest"):  # built by the project (podman-compose skips built ones)
        built = subprocess.run(["podman", "image", "exists", image]).returncode == 0
        assert built or f"podman build -t {image}" in resolved.stdout, image
    assert "docker.io/" not in resolved.stdout.replace("docker.io/library/debian:bookworm-slim", "")  # no registry image
