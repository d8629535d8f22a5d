"""Prometheus (the real binary) scrapes a running oracle worker, indexer API and media node, and
the alert rules pass promtool's checks and unit tests."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ape import chain

from tests.media.conftest import indexer_service, start_node, stop_node  # noqa: F401  (fixture)
from tests.worker.conftest import job_store, shared_data_dir, wait_until, workers  # noqa: F401  (fixtures)
from tests.worker.midi_samples import progression_midi
from tutti.jobs import request_job
from tutti.net import free_port
from tutti.prometheus import ALERT_RULES, Target, start_prometheus

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "prometheus"
MIDI = progression_midi([["C4", "E4", "G4"], ["G4", "B4", "D5"], ["C4", "E4", "G4"]])

pytestmark = pytest.mark.skipif(not Path("/usr/bin/promtool").exists(), reason="Debian's prometheus not installed")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_alert_rules_are_valid_and_pass_their_unit_tests():
    checked = promtool("check", "rules", str(ALERT_RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(DEPLOY / "alerts_test.yml"))
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.fixture
def indexer_api(indexer_service):
    """`tutti-indexer run` following the session's chain and `serve` on a free port (the media tests' fixture)."""
    return indexer_service().url


@pytest.fixture
def media_node(tutti, deployments_dir, tmp_path):
    node = start_node(tmp_path, ["--rpc-url", chain.provider.uri, "--deployments-dir", str(deployments_dir)],
                      "media-node", room=1)
    yield node
    stop_node(node)


def value(prometheus, expression: str) -> float | None:
    result = prometheus.query(expression)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_the_worker_indexer_and_media_node(tutti, workers, job_store, fan, operators,
                                                              indexer_api, media_node):
    metrics_port = free_port()
    workers.start("TEST::7", "--metrics-port", str(metrics_port))
    worker_url = f"http://127.0.0.1:{metrics_port}"
    job = request_job(tutti, fan, "analyze", job_store.add_bytes(MIDI, cid_version=1), fee=3 * 10**16)
    requested_at = chain.blocks.head.number
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, operators[0]) != b"\x00" * 32, 120, "the attestation")

    for url in (worker_url, indexer_api, media_node.url):
        status, body = get(f"{url}/readyz")
        assert status == 200 and json.loads(body)["ready"], f"{url}/readyz: {status} {body!r}"

    targets = [Target("oracle", f"127.0.0.1:{metrics_port}"), Target("indexer", indexer_api.removeprefix("http://")),
               Target("media", media_node.url.removeprefix("http://"))]
    with start_prometheus(targets, scrape_interval="1s") as prometheus:
        wait_until(lambda: value(prometheus, "count(up == 1)") == 3, 60, "three healthy targets")
        # The worker's own counters (it attests after it is scraped once, so wait for the values).
        wait_until(lambda: value(prometheus, 'tutti_oracle_jobs_attested_total{kind="analyze"}') == 1, 30,
                   "the attestation in Prometheus")
        assert value(prometheus, 'tutti_oracle_jobs_seen_total{kind="analyze"}') >= 1
        assert value(prometheus, 'tutti_oracle_jobs_computed_total{kind="analyze"}') >= 1
        assert value(prometheus, 'tutti_oracle_compute_seconds_count{kind="analyze"}') >= 1
        assert value(prometheus, "tutti_oracle_gas_used_total") > 21_000
        assert value(prometheus, "tutti_oracle_bond_wei") is not None
        assert value(prometheus, "tutti_oracle_scanned_block") >= requested_at
        assert value(prometheus, "time() - tutti_oracle_last_scan_timestamp_seconds") < 30
        # The indexer reports the head it follows next to what it indexed.
        indexed, head = value(prometheus, "tutti_indexer_block"), value(prometheus, "tutti_indexer_chain_head_block")
        assert indexed and head and head - indexed <= 20
        # The media node: one room, no musicians, a mixer that ticks.
        assert value(prometheus, 'tutti_media_rooms') == 1
        assert value(prometheus, 'tutti_media_musicians{room="1"}') == 0
        wait_until(lambda: (value(prometheus, "tutti_media_mixer_ticks_total") or 0) > 0, 20, "mixer ticks")
        assert value(prometheus, "tutti_media_frame_deadline_misses_total") is not None
        # The alert rules are loaded and none fires on a healthy platform.
        with urllib.request.urlopen(f"{prometheus.url}/api/v1/rules", timeout=10) as response:
            groups = {g["name"] for g in json.load(response)["data"]["groups"]}
        assert groups == {"tutti-oracle", "tutti-indexer", "tutti-media"}
        assert prometheus.query('ALERTS{alertstate="firing"}') == []
