"""Fixtures for the IPFS store tests: both backends, the Kubo one on the session's real node
(``ipfs_node_url``, from tests/ipfs_node.py via the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ipfs_node import LOOKUP_TIMEOUT
from tutti.ipfs.embedded import EmbeddedStore
from tutti.ipfs.kubo import KuboStore, RetryPolicy


@pytest.fixture(scope="session")
def kubo_store(ipfs_node_url: str) -> Iterator[KuboStore]:
    store = KuboStore(
        ipfs_node_url,
        lookup_timeout=LOOKUP_TIMEOUT,
        retry=RetryPolicy(attempts=2, initial_delay=0.1),
    )
    yield store
    store.close()


@pytest.fixture
def embedded_store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "ipfs")


@pytest.fixture(params=["embedded", "kubo"])
def store(request: pytest.FixtureRequest):
    """Each backend in turn, for tests that must hold for both."""
    return request.getfixturevalue(f"{request.param}_store")
