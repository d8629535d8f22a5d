"""The platform's own Prometheus (started by tutti.platform beside the services) scrapes every
service of the running local platform: the three oracle workers, the IPFS service, the indexer
API and the media node. Checked after the browser scenarios ran (a compose job, rooms, passes),
so the series carry real traffic; no alert fires on the healthy platform."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.http import get
from tutti.platform import OPERATORS, Platform


def value(prometheus, expression: str) -> float | None:
    result = prometheus.query(expression)
    return float(result[0]["value"][1]) if result else None


def eventually(prometheus, expression: str, check, what: str, timeout: float = 30) -> float:
    """The expression's value once ``check`` accepts it (Prometheus scrapes every 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        found = value(prometheus, expression)
        if found is not None and check(found):
            return found
        assert time.monotonic() < deadline, f"{what}: {expression} = {found}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def prometheus(platform: Platform, findings: dict):
    if platform.prometheus is None:
        pytest.skip("Debian's prometheus is not installed: the platform started without it")
    assert findings["compose"]["requested"]["ok"], "the compose scenario gives the workers a job"
    return platform.prometheus


def test_the_platform_prints_prometheus_and_every_service_is_a_ready_target(platform: Platform, prometheus):
    jobs = sorted(target.job for target in platform.metrics_targets)
    assert jobs == sorted(["ipfs", "indexer", "media", *["oracle"] * len(OPERATORS)])
    assert platform.urls["prometheus"] == prometheus.url
    for target in platform.metrics_targets:
        status, body = get(f"http://{target.address}/readyz")
        assert status == 200 and json.loads(body)["ready"], f"{target}: {status} {body!r}"
    eventually(prometheus, "count(up == 1)", lambda n: n == len(jobs), "every target scraped and up")


def test_worker_series(prometheus):
    # Two of three workers must agree on a job: at least two attest it.
    assert eventually(prometheus, "count(tutti_oracle_jobs_attested_total > 0)", lambda n: n >= 2,
                      "workers that attested") >= 2
    assert value(prometheus, "sum(tutti_oracle_jobs_seen_total)") >= 1
    assert value(prometheus, "sum(tutti_oracle_jobs_computed_total)") >= 1
    assert value(prometheus, "sum(tutti_oracle_compute_seconds_count)") >= 1
    assert value(prometheus, "count(tutti_oracle_gas_used_total > 21000)") >= 2  # the attesters paid gas
    assert value(prometheus, "count(tutti_oracle_bond_wei >= tutti_oracle_min_bond_wei)") == len(OPERATORS)
    assert value(prometheus, "max(time() - tutti_oracle_last_scan_timestamp_seconds)") < 30


def test_media_node_series(platform: Platform, prometheus):
    assert value(prometheus, "tutti_media_rooms") == 1
    assert value(prometheus, f'tutti_media_musicians{{room="{platform.room_id}"}}') is not None
    eventually(prometheus, "tutti_media_mixer_ticks_total", lambda n: n > 0, "mixer ticks")
    assert value(prometheus, "tutti_media_frame_deadline_misses_total") is not None
    assert value(prometheus, 'tutti_media_mix_tick_seconds{quantile="0.99"}') is not None
    assert len(prometheus.query("tutti_media_pass_checks_total")) == 3  # valid, invalid, error


def test_ipfs_service_series(prometheus):
    # The browser adds inputs and reads results through the IPFS service's API and gateway.
    assert value(prometheus, 'sum(tutti_ipfs_requests_total{outcome="ok"})') >= 1
    assert value(prometheus, "sum(tutti_ipfs_request_seconds_count)") >= 1
    assert value(prometheus, "tutti_ipfs_bytes_out_total") > 0
    assert value(prometheus, "tutti_ipfs_store_up") == 1


def test_indexer_series_and_no_alert_fires(prometheus):
    indexed = eventually(prometheus, "tutti_indexer_block", lambda n: n > 0, "indexed block")
    head = value(prometheus, "tutti_indexer_chain_head_block")
    assert head and head - indexed <= 20
    assert value(prometheus, "sum(tutti_api_requests_total)") > 0
    with urllib.request.urlopen(f"{prometheus.url}/api/v1/rules", timeout=10) as response:
        groups = {g["name"] for g in json.load(response)["data"]["groups"]}
    assert groups == {"tutti-oracle", "tutti-indexer", "tutti-media"}
    assert prometheus.query('ALERTS{alertstate="firing"}') == []
